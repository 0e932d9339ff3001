/** Entry of the compute device page (dist/device): gpu.js on this page's WebGL2/WebGPU, serving offered MessagePorts. */
import { servePageDevice } from '../../app/compute/device/page';

servePageDevice(window);
