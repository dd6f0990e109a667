// 友情链接 (附件3 §2.3, §3.4). The manual names the sites, not their addresses.
// 政策文件: the notices (《中国科协科普部关于进一步做好科技志愿服务有关工作的通知》 and its
// 附件) are published, the notice says, on 中国科协官网 and its 公文发布系统 without an
// address of their own: the link is 中国科协's 通知公告 list, where they appear.
// 中国科协绿平台 has no address in the notices either: it stays on 中国科协官网.
// 科协 staff may replace any of them.
export const FRIEND_LINKS = [
  { label: '政策文件', href: 'https://www.cast.org.cn/xw/tzgg/' },
  { label: '中国科协官网', href: 'https://www.cast.org.cn/' },
  { label: '志愿服务联合会', href: 'https://www.cvf.org.cn/' },
  { label: '中国科协绿平台', href: 'https://www.cast.org.cn/' },
];
