import { useState } from "preact/hooks";
import type { PageAdapters, SignedIn } from "../session.js";
import { ChatView } from "./chat-view.js";
import { SignInForm } from "./sign-in.js";

/** The page: the sign-in form until a client is running, then the chat. */
export function App({ adapters }: { adapters: PageAdapters }) {
  const [signedIn, setSignedIn] = useState<SignedIn | undefined>(undefined);
  if (signedIn === undefined) return <SignInForm adapters={adapters} onSignedIn={setSignedIn} />;
  return <ChatView signedIn={signedIn} onSignedOut={() => setSignedIn(undefined)} />;
}
