/** ChartBox loaded on demand: ECharts is the largest chunk, so views paint first and their charts follow a moment later. */
import { defineAsyncComponent } from 'vue';

export default defineAsyncComponent(() => import('./ChartBox.vue'));
