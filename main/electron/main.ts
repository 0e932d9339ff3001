/** Entry of the Electron main process (bundled to dist/main/electron-main.cjs). */
import { startShell } from './shell';

startShell();
