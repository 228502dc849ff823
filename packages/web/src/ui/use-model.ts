import { useEffect, useState } from "preact/hooks";
import type { ChatModel } from "./chat-model.js";

/** Re-renders the component whenever the model changes. */
export function useModel(model: ChatModel): number {
  const [version, setVersion] = useState(0);
  useEffect(() => model.subscribe(() => setVersion((v) => v + 1)), [model]);
  return version;
}
