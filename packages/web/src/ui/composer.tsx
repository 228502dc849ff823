import type { RefObject } from "preact";
import { useRef, useState } from "preact/hooks";

/**
 * The input line: Enter sends (text, or a `/` command), Shift+Enter starts a new line. Lines are
 * carried out one after another, so messages keep the order they were typed in. Typing text (not
 * a command) calls `onTyping`, which the client turns into at most one notice every 3 s.
 */
export function Composer({
  inputRef,
  room,
  onLine,
  onTyping,
}: {
  inputRef: RefObject<HTMLTextAreaElement | null>;
  room: string;
  onLine: (line: string) => Promise<void>;
  onTyping: () => void;
}) {
  const [text, setText] = useState("");
  const chain = useRef<Promise<void>>(Promise.resolve());
  const submit = (): void => {
    const line = text;
    if (line.trim() === "") return;
    setText("");
    chain.current = chain.current.then(() => onLine(line));
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label for="message-input" class="visually-hidden">
        Message to {room} (/help lists the commands)
      </label>
      <textarea
        id="message-input"
        ref={inputRef}
        rows={1}
        placeholder={`Message ${room}`}
        value={text}
        onInput={(e) => {
          const value = e.currentTarget.value;
          setText(value);
          if (value.trim() !== "" && !value.startsWith("/")) onTyping();
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
      />
      <button type="submit">Send</button>
    </form>
  );
}
