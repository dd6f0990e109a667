import { createRouter, createWebHistory } from 'vue-router';
import { hasSession } from './api.js';
import { isPlatformAdmin, isVolunteer, loadMe, session } from './session.js';

const routes = [
  { path: '/', component: () => import('./views/HomePage.vue'), meta: { title: '首页' } },
  { path: '/activities', component: () => import('./views/ActivityList.vue'), meta: { title: '活动报名' } },
  { path: '/activities/:id(\\d+)', component: () => import('./views/ActivityDetail.vue'), meta: { title: '活动详情' } },
  { path: '/orgs', component: () => import('./views/OrgList.vue'), meta: { title: '组织' } },
  { path: '/orgs/:id(\\d+)', component: () => import('./views/OrgDetail.vue'), meta: { title: '组织详情' } },
  { path: '/login', component: () => import('./views/LoginPage.vue'), meta: { title: '登录/注册' } },
  { path: '/register', component: () => import('./views/VolunteerRegister.vue'), meta: { title: '志愿者注册', auth: true } },
  { path: '/claim', component: () => import('./views/ClaimPage.vue'), meta: { title: '确认身份', auth: true } },
  {
    path: '/me', component: () => import('./views/volunteer/VolunteerCenter.vue'), meta: { auth: true, volunteer: true },
    redirect: '/me/info',
    children: [
      { path: 'info', component: () => import('./views/volunteer/VolunteerInfo.vue'), meta: { title: '志愿者信息' } },
      { path: 'activities', component: () => import('./views/volunteer/MyActivities.vue'), meta: { title: '我参加的活动' } },
      { path: 'orgs', component: () => import('./views/volunteer/MyOrgs.vue'), meta: { title: '我的组织' } },
      { path: 'records', component: () => import('./views/volunteer/ServiceRecords.vue'), meta: { title: '服务记录' } },
    ],
  },
  {
    path: '/org', component: () => import('./views/org/OrgCenter.vue'), meta: { auth: true, volunteer: true },
    redirect: '/org/info',
    children: [
      { path: 'register', component: () => import('./views/org/OrgRegister.vue'), meta: { title: '注册组织' } },
      { path: 'info', component: () => import('./views/org/OrgInfo.vue'), meta: { title: '组织信息' } },
      { path: 'members', component: () => import('./views/org/OrgMembers.vue'), meta: { title: '全部志愿者' } },
      { path: 'admins', component: () => import('./views/org/OrgAdmins.vue'), meta: { title: '管理员' } },
      { path: 'publish', component: () => import('./views/org/ActivityPublish.vue'), meta: { title: '活动发布' } },
      { path: 'activities', component: () => import('./views/org/OrgActivities.vue'), meta: { title: '我发布的活动' } },
      { path: 'imports', component: () => import('./views/org/OrgImports.vue'), meta: { title: '批量导入' } },
      { path: 'activities/:id(\\d+)', component: () => import('./views/org/OrgActivityManage.vue'), meta: { title: '活动管理' } },
    ],
  },
  {
    path: '/admin', component: () => import('./views/admin/AdminCenter.vue'), meta: { auth: true, platformAdmin: true },
    redirect: '/admin/approvals',
    children: [
      { path: 'approvals', component: () => import('./views/admin/OrgApprovals.vue'), meta: { title: '组织审核' } },
      { path: 'stats', component: () => import('./views/admin/StatsPage.vue'), meta: { title: '数据统计' } },
      { path: 'imports', component: () => import('./views/admin/AdminImports.vue'), meta: { title: '批量导入' } },
    ],
  },
  { path: '/:rest(.*)*', component: () => import('./views/NotFound.vue'), meta: { title: '页面不存在' } },
];

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 }),
});

router.beforeEach(async (to) => {
  if (!session.ready) await loadMe();
  const needsAuth = to.matched.some((r) => r.meta.auth);
  if (needsAuth && (!hasSession() || !session.me)) return { path: '/login', query: { redirect: to.fullPath } };
  if (session.me?.claim_required && needsAuth && to.path !== '/claim') return { path: '/claim' };
  if (to.matched.some((r) => r.meta.volunteer) && !isVolunteer()) {
    return { path: '/register', query: { redirect: to.fullPath } };
  }
  if (to.matched.some((r) => r.meta.platformAdmin) && !isPlatformAdmin()) return { path: '/' };
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} - 科技志愿服务信息平台` : '科技志愿服务信息平台';
});
