/** App-level operations of the API: version and store facts, the compute backends and their speed on this machine. */
import { API_VERSION, type ParsedRequestOf, type ResponseOf } from '../../app/api/contract';
import { TRAINING_BACKEND } from '../training/backend';
import type { TrainingHost } from '../training/host';

export interface AppServiceOptions {
  appVersion: string;
  storePath: string;
  host: TrainingHost;
}

export class AppService {
  constructor(private readonly options: AppServiceOptions) {}

  info(): ResponseOf<'app.info'> {
    return {
      version: this.options.appVersion,
      apiVersion: API_VERSION,
      storePath: this.options.storePath,
      backends: [{ name: TRAINING_BACKEND, available: true }],
    };
  }

  /** Times a training step of the given KAN on every backend (off the main thread) and picks the fastest. */
  async benchBackends(request: ParsedRequestOf<'backends.bench'>): Promise<ResponseOf<'backends.bench'>> {
    try {
      const secondsPerStep = await this.options.host.probeSpeed(request);
      return { pick: TRAINING_BACKEND, timings: [{ name: TRAINING_BACKEND, secondsPerStep }] };
    } catch (error) {
      return { pick: TRAINING_BACKEND, timings: [{ name: TRAINING_BACKEND, secondsPerStep: null, error: (error as Error).message }] };
    }
  }
}
