import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { errorCode, errorMessage } from "@secure-chat/client";
import { parseUserName } from "@secure-chat/protocol";
import { signIn, type PageAdapters, type SignedIn } from "../session.js";

const LAST_NAME = "secure-chat.last-name";
/** "off" once the user chose to send no typing notices (and see none), as `--no-typing` does. */
const TYPING = "secure-chat.typing";

/**
 * Name and passphrase. A name this browser holds no state for is new here: the passphrase is
 * asked twice (it encrypts the local state and cannot be recovered), as the terminal does, and
 * the browser either makes a new account or becomes a new device of one that exists: then it
 * shows the code to type on the account's first device and the string both must show.
 */
export function SignInForm({ adapters, onSignedIn }: { adapters: PageAdapters; onSignedIn: (s: SignedIn) => void }) {
  const [name, setName] = useState(() => localStorage.getItem(LAST_NAME) ?? "");
  const [passphrase, setPassphrase] = useState("");
  const [confirm, setConfirm] = useState<string | undefined>(undefined);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [linking, setLinking] = useState(false);
  const [label, setLabel] = useState("browser");
  const [typing, setTyping] = useState(() => localStorage.getItem(TYPING) !== "off");
  const [pairing, setPairing] = useState<{ code?: string; sas?: string }>({});

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
      setPairing({});
      const signedIn = await signIn(
        adapters,
        parsed,
        passphrase,
        confirm === undefined
          ? { kind: "returning" }
          : linking
            ? {
                kind: "new-device",
                label: label.trim() || "browser",
                onCode: (code) => setPairing({ code }),
                onSas: (sas) => setPairing((shown) => ({ ...shown, sas })),
              }
            : { kind: "new-account" },
        { typing },
      );
      localStorage.setItem(LAST_NAME, parsed);
      localStorage.setItem(TYPING, typing ? "on" : "off");
      onSignedIn(signedIn);
    } catch (failure) {
      const code = errorCode(failure);
      // A new name refused by the server left nothing here: the next try is a new name again.
      if (confirm !== undefined && !(await adapters.hasState(parsed))) setConfirm(undefined);
      setPairing({});
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
          <>
            <PassphraseField id="confirm" label="Passphrase again" value={confirm} onValue={setConfirm} />
            <CheckField id="link-device" checked={linking} onValue={setLinking}>
              I use {parseUserName(name.trim()) ?? "this name"} on another device already: link this browser to it
            </CheckField>
            {linking && (
              <>
                <label for="device-label">This device's name (shown to your other devices)</label>
                <input id="device-label" value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
              </>
            )}
          </>
        )}
        {pairing.code !== undefined && (
          <div class="pairing" role="status" aria-live="polite">
            <p>
              On your first device, type <code id="link-command">/devices link {pairing.code}</code>
            </p>
            {pairing.sas !== undefined && (
              <p>
                It must show <strong id="link-sas">{pairing.sas}</strong>. Type <code>/devices approve</code> there only
                if it does.
              </p>
            )}
          </div>
        )}
        <CheckField id="typing-notices" checked={typing} onValue={setTyping}>
          Tell others when I am typing (and show me when they are)
        </CheckField>
        <button type="submit" disabled={busy}>
          {busy ? (pairing.code !== undefined ? "Waiting for your first device…" : "Signing in…") : "Sign in"}
        </button>
        <p class="error" role="alert">
          {error}
        </p>
      </form>
    </main>
  );
}

function CheckField(props: {
  id: string;
  checked: boolean;
  onValue: (value: boolean) => void;
  children: ComponentChildren;
}) {
  return (
    <label class="check">
      <input
        id={props.id}
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onValue(e.currentTarget.checked)}
      />
      {props.children}
    </label>
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
