/** Entry of the renderer: theme first (so the first paint has the right colours), then Pinia and the app. */
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import './styles.css';

const saved = localStorage.getItem('kanbench.theme');
document.documentElement.dataset.theme = saved === 'dark' || saved === 'light' ? saved : window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';

createApp(App).use(createPinia()).mount('#app');
// The frame after the mounted app is painted: what the end-to-end test reports as first meaningful paint.
requestAnimationFrame(() => requestAnimationFrame(() => performance.mark('kanbench:painted')));
