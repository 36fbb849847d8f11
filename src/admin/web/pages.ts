// The admin's pages: where each lives, who may open it, which script draws it and whether the menu lists it.
// The server renders the frame of each (menu, title, the session's CSRF token); the script fills it from /api.

export interface AdminPage {
  name: string;
  path: string;
  /** Admins only; an agent gets 403. */
  admin: boolean;
  /** `editor`: the template editor's bundle (CodeMirror); the rest share the small one. */
  bundle: 'admin' | 'editor';
  nav: boolean;
}

const page = (name: string, path: string, o: Partial<AdminPage> = {}): AdminPage => ({
  name,
  path,
  admin: true,
  bundle: 'admin',
  nav: true,
  ...o,
});

export const adminPages: AdminPage[] = [
  page('dashboard', '/admin'),
  page('cases', '/admin/cases', { admin: false }),
  page('case', '/admin/cases/:number', { admin: false, nav: false }),
  page('templates', '/admin/templates'),
  page('template', '/admin/templates/:key/:locale', { nav: false, bundle: 'editor' }),
  page('plans', '/admin/plans'),
  page('plan', '/admin/plans/:id', { nav: false }),
  page('customers', '/admin/customers'),
  page('agents', '/admin/agents'),
  page('mailboxes', '/admin/mailboxes'),
  page('rules', '/admin/rules'),
  page('incidents', '/admin/incidents'),
  page('services', '/admin/services'),
  page('quarantine', '/admin/quarantine'),
  page('agent-mail', '/admin/agent-mail'),
  page('sends', '/admin/sends'),
  page('audit', '/admin/audit'),
  page('trail', '/admin/trail'),
  page('chat', '/admin/chat'),
  page('profile', '/admin/profile'),
];
