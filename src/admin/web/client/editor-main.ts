import { start } from './chrome.js';
import { templatePage } from './pages/template.js';

start({ template: templatePage });
