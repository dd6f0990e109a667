// 友情链接 (附件3 §2.3, §3.4). The manual names the sites but not their addresses:
// the URLs below are the sites' public home pages; 科协 staff may replace them.
export const FRIEND_LINKS = [
  { label: '政策文件', href: 'https://www.cast.org.cn/' },
  { label: '中国科协官网', href: 'https://www.cast.org.cn/' },
  { label: '志愿服务联合会', href: 'https://www.cvf.org.cn/' },
  { label: '中国科协绿平台', href: 'https://www.cast.org.cn/' },
];
