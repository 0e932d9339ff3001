/** App-level operations of the API: version and store facts, the compute backends and their speed on this machine. */
import { API_VERSION, type ParsedRequestOf, type ResponseOf } from '../../app/api/contract';
import { listBackends } from '../../app/compute';
import { registerNodeBackends } from '../compute';
import type { TrainingHost } from '../training/host';

export interface AppServiceOptions {
  appVersion: string;
  storePath: string;
  host: TrainingHost;
}

export class AppService {
  private backends: Promise<ResponseOf<'app.info'>['backends']> | null = null;

  constructor(private readonly options: AppServiceOptions) {}

  /** Probing a backend compiles a test kernel, so the list is computed once per process. */
  async info(): Promise<ResponseOf<'app.info'>> {
    this.backends ??= (async () => {
      registerNodeBackends();
      return (await listBackends()).map((b) => ({ name: b.name, available: b.available, ...(b.reason ? { reason: b.reason } : {}) }));
    })();
    return { version: this.options.appVersion, apiVersion: API_VERSION, storePath: this.options.storePath, backends: await this.backends };
  }

  /** Times a training step of the given KAN on every backend (off the main thread), picks the fastest and remembers it. */
  async benchBackends(request: ParsedRequestOf<'backends.bench'>): Promise<ResponseOf<'backends.bench'>> {
    try {
      return await this.options.host.probeSpeed(request);
    } catch (error) {
      return { pick: 'reference', timings: [{ name: 'reference', secondsPerStep: null, error: (error as Error).message }] };
    }
  }
}
