import { useState } from 'preact/hooks';
import { storedToken, storeToken } from './auth-token.ts';

/**
 * Asks for the server's read token after an API call answered 401. The token goes to sessionStorage
 * and the page reloads, so every request and socket starts again with it.
 */
export function TokenForm() {
  const [value, setValue] = useState('');
  const rejected = storedToken() !== undefined;
  return (
    <form
      class="card token-form"
      data-testid="token-form"
      onSubmit={(event) => {
        event.preventDefault();
        const token = value.trim();
        if (token === '') return;
        storeToken(token);
        location.reload();
      }}
    >
      <p>
        {rejected
          ? 'The server did not accept the token.'
          : 'This server needs a token to read (RIVULET_READ_TOKEN).'}{' '}
        It is kept in this tab only.
      </p>
      <input
        type="password"
        name="token"
        autocomplete="off"
        placeholder="read token"
        value={value}
        onInput={(event) => setValue((event.target as HTMLInputElement).value)}
      />
      <button type="submit">Use token</button>
    </form>
  );
}
