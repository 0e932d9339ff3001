/** Native file dialogs as the API sees them: Electron provides them; the web host and tests have none and say so. */
import type { ParsedRequestOf, ResponseOf } from '../../app/api/contract';

export interface DialogProvider {
  /** Asks where to save and writes content there; null when the user cancelled. */
  saveText(defaultName: string, content: string): Promise<string | null>;
  /** Asks for a CSV file and reads it; null when the user cancelled. */
  openCsv(): Promise<{ name: string; text: string } | null>;
}

export class DialogService {
  constructor(private readonly provider: DialogProvider | null) {}

  async saveText(request: ParsedRequestOf<'dialog.saveText'>): Promise<ResponseOf<'dialog.saveText'>> {
    if (!this.provider) return { available: false, saved: false };
    const path = await this.provider.saveText(request.defaultName, request.content);
    return path === null ? { available: true, saved: false } : { available: true, saved: true, path };
  }

  async openCsv(): Promise<ResponseOf<'dialog.openCsv'>> {
    if (!this.provider) return { available: false };
    const file = await this.provider.openCsv();
    return file === null ? { available: true } : { available: true, name: file.name, text: file.text };
  }
}
