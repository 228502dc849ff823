import { useState } from "preact/hooks";
import { errorCode, errorMessage } from "@secure-chat/client";
import { parseUserName } from "@secure-chat/protocol";
import { signIn, type PageAdapters, type SignedIn } from "../session.js";

const LAST_NAME = "secure-chat.last-name";

/**
 * Name and passphrase. A name this browser holds no state for is new here: the passphrase is
 * asked twice (it encrypts the local state and cannot be recovered), as the terminal does.
 */
export function SignInForm({ adapters, onSignedIn }: { adapters: PageAdapters; onSignedIn: (s: SignedIn) => void }) {
  const [name, setName] = useState(() => localStorage.getItem(LAST_NAME) ?? "");
  const [passphrase, setPassphrase] = useState("");
  const [confirm, setConfirm] = useState<string | undefined>(undefined);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError("");
    const parsed = parseUserName(name.trim());
    if (parsed === undefined) return setError(`${name} is not a valid name: 1-32 of a-z, 0-9, _ and -`);
    if (passphrase.length < 8) return setError("the passphrase must have at least 8 characters");
    setBusy(true);
    try {
      if (confirm === undefined && !(await adapters.hasState(parsed))) {
        setConfirm("");
        return setError(`${parsed} is new in this browser: type the passphrase again to confirm it`);
      }
      if (confirm !== undefined && confirm !== passphrase) return setError("the two passphrases differ");
      const signedIn = await signIn(adapters, parsed, passphrase);
      localStorage.setItem(LAST_NAME, parsed);
      onSignedIn(signedIn);
    } catch (failure) {
      const code = errorCode(failure);
      setError(code === "UNREACHABLE" ? "cannot reach the server" : `${errorMessage(failure)} (${code})`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">secure-chat</h1>
      <p class="hint">End-to-end encrypted. Your keys stay in this browser, sealed with your passphrase.</p>
      <form onSubmit={(e) => void submit(e)}>
        <label for="name">Name</label>
        <input
          id="name"
          name="name"
          autocomplete="username"
          autocapitalize="off"
          spellcheck={false}
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
          required
        />
        <PassphraseField id="passphrase" label="Passphrase" value={passphrase} onValue={setPassphrase} />
        {confirm !== undefined && (
          <PassphraseField id="confirm" label="Passphrase again" value={confirm} onValue={setConfirm} />
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p class="error" role="alert">
          {error}
        </p>
      </form>
    </main>
  );
}

function PassphraseField(props: { id: string; label: string; value: string; onValue: (value: string) => void }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="password"
        autocomplete={props.id === "confirm" ? "new-password" : "current-password"}
        value={props.value}
        onInput={(e) => props.onValue(e.currentTarget.value)}
        required
      />
    </>
  );
}
