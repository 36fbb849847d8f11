import { ApiError } from '../api.js';
import type { PageContext } from '../context.js';
import { field, fill, h, input, onSubmit } from '../dom.js';

export async function signInPage(app: HTMLElement, ctx: PageContext) {
  const { t } = ctx;
  const email = input({ type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = input({
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const status = h('div', { class: 'status' });
  const form = h(
    'form',
    { class: 'narrow', novalidate: false },
    field(t('signIn.email'), email),
    field(t('signIn.password'), password),
    h('button', { type: 'submit' }, t('signIn.submit')),
    status,
  );
  onSubmit(form, async () => {
    ctx.say(status, null);
    try {
      await ctx.api.send('POST', '/admin/sign-in', { email: email.value, password: password.value });
      const next = ctx.params.next ?? '/admin';
      location.assign(/^\/admin(?:[/?#]|$)/.test(next) && !next.includes('//') ? next : '/admin');
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      ctx.say(status, t(code === 'too_many_attempts' ? 'signIn.limited' : 'signIn.failed'));
      password.value = '';
      password.focus();
    }
  });
  fill(app, form);
  email.focus();
}
