/**
 * Where a packaged file really lies on disk: electron-builder keeps files that must be real (native addons, worker
 * threads and what they import) in app.asar.unpacked beside the archive; outside a package the path is unchanged.
 */
import path from 'node:path';

export function unpackedPath(file: string): string {
  return file.replace(`${path.sep}app.asar${path.sep}`, `${path.sep}app.asar.unpacked${path.sep}`);
}
