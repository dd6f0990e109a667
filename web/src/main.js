import { createApp } from 'vue';
import ElementPlus from 'element-plus';
import zhCn from 'element-plus/es/locale/lang/zh-cn';
import 'element-plus/dist/index.css';
import './style.css';
import App from './App.vue';
import { router } from './router.js';
import { onAuthLost } from './api.js';
import { prefs, session, setElder } from './session.js';

setElder(prefs.elder);
onAuthLost(() => {
  session.me = null;
  const here = router.currentRoute.value;
  if (here.meta.auth) router.push({ path: '/login', query: { redirect: here.fullPath } });
});

createApp(App).use(ElementPlus, { locale: zhCn }).use(router).mount('#app');
