import type { PageContext } from '../app.js';
import { errorNotice } from '../components/notice.js';
import { append, h } from '../dom.js';

/** Only paths inside the app are followed after sign-in (no open redirect to another site). */
function safeNext(next: string | null): string {
  return next !== null && /^\/(?!\/)[^\s]*$/.test(next) && !next.startsWith('/sign-in')
    ? next
    : '/datasets';
}

/**
 * Sign in with an API key: it is exchanged at `POST /api/v1/auth/token` for a short-lived access
 * token, which this tab keeps; the key is dropped as soon as the exchange answers.
 */
export function signInPage(context: PageContext): void {
  const { api, main, query } = context;
  const next = safeNext(query.get('next'));
  if (api.signedIn) {
    context.navigate(next, { replace: true });
    return;
  }
  const reason = query.get('reason');
  const key = h('input', {
    id: 'api-key',
    name: 'apiKey',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'api-key-help',
  });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const messages = h('div', { class: 'messages' });
  const form = h(
    'form',
    { class: 'sign-in', novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'api-key' }, 'API key'),
      key,
      h(
        'p',
        { id: 'api-key-help', class: 'help' },
        'A key that starts with nmly_, from your administrator or `nomaly up`. It is exchanged for a session token and not stored.',
      ),
    ),
    submit,
    messages,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const apiKey = key.value.trim();
    if (apiKey === '') {
      messages.replaceChildren(errorNotice(new Error('Enter your API key.')));
      key.setAttribute('aria-invalid', 'true');
      key.focus();
      return;
    }
    submit.disabled = true;
    messages.replaceChildren(h('p', { role: 'status' }, 'Signing in…'));
    api.signIn(apiKey).then(
      (me) => {
        key.value = '';
        context.setMe(me);
        context.announce('Signed in.');
        context.navigate(next);
      },
      (error: unknown) => {
        submit.disabled = false;
        key.setAttribute('aria-invalid', 'true');
        messages.replaceChildren(errorNotice(error));
        key.focus();
      },
    );
  });
  append(main, [
    h('h1', { tabindex: -1 }, 'Sign in to Nomaly'),
    reason === null ? null : h('div', { class: 'notice', role: 'status' }, h('p', null, reason)),
    form,
  ]);
  key.focus();
}
