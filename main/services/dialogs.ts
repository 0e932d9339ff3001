/** Native file dialogs as the API sees them: Electron provides them; the web host and tests have none and say so. */
import type { ParsedRequestOf, ResponseOf } from '../../app/api/contract';
import type { SettingsService } from './settings';

export interface DialogProvider {
  /** Asks where to save and writes content there; null when the user cancelled. */
  saveText(defaultName: string, content: string): Promise<string | null>;
  /** Asks for a CSV file and reads it; null when the user cancelled. */
  openCsv(): Promise<{ name: string; text: string } | null>;
  /** Asks for a folder, starting at `current`; null when the user cancelled. */
  chooseFolder(current: string): Promise<string | null>;
}

export class DialogService {
  constructor(private readonly provider: DialogProvider | null) {}

  async saveText(request: ParsedRequestOf<'dialog.saveText'>): Promise<ResponseOf<'dialog.saveText'>> {
    if (!this.provider) return { available: false, saved: false };
    const path = await this.provider.saveText(request.defaultName, request.content);
    return path === null ? { available: true, saved: false } : { available: true, saved: true, path };
  }

  /** The data folder changes only here: the user picked it in a native dialog, which no web page can drive. */
  async chooseDataFolder(settings: SettingsService): Promise<ResponseOf<'dialog.chooseDataFolder'>> {
    if (!this.provider) return { available: false };
    const folder = await this.provider.chooseFolder(settings.get().dataFolder);
    return folder === null ? { available: true } : { available: true, dataFolder: settings.setDataFolder(folder).dataFolder };
  }

  async openCsv(): Promise<ResponseOf<'dialog.openCsv'>> {
    if (!this.provider) return { available: false };
    const file = await this.provider.openCsv();
    return file === null ? { available: true } : { available: true, name: file.name, text: file.text };
  }
}
