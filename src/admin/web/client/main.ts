import { start } from './chrome.js';
import { agentMailPage } from './pages/agent-mail.js';
import { agentsPage } from './pages/agents.js';
import { auditPage } from './pages/audit.js';
import { casePage } from './pages/case.js';
import { casesPage } from './pages/cases.js';
import { chatPage } from './pages/chat.js';
import { customersPage } from './pages/customers.js';
import { dashboardPage } from './pages/dashboard.js';
import { forbiddenPage } from './pages/forbidden.js';
import { incidentsPage } from './pages/incidents.js';
import { mailboxesPage } from './pages/mailboxes.js';
import { planPage } from './pages/plan.js';
import { plansPage } from './pages/plans.js';
import { profilePage } from './pages/profile.js';
import { quarantinePage } from './pages/quarantine.js';
import { rulesPage } from './pages/rules.js';
import { sendsPage } from './pages/sends.js';
import { servicesPage } from './pages/services.js';
import { signInPage } from './pages/sign-in.js';
import { templatesPage } from './pages/templates.js';
import { trailPage } from './pages/trail.js';

start({
  'sign-in': signInPage,
  forbidden: forbiddenPage,
  dashboard: dashboardPage,
  cases: casesPage,
  case: casePage,
  templates: templatesPage,
  plans: plansPage,
  plan: planPage,
  customers: customersPage,
  agents: agentsPage,
  mailboxes: mailboxesPage,
  rules: rulesPage,
  incidents: incidentsPage,
  services: servicesPage,
  quarantine: quarantinePage,
  'agent-mail': agentMailPage,
  sends: sendsPage,
  audit: auditPage,
  trail: trailPage,
  chat: chatPage,
  profile: profilePage,
});
