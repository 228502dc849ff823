import type { MemberInfo } from "@secure-chat/client";
import { senderClass } from "./format.js";

/** The current room's members: online state (unknown while offline) and key fingerprints. */
export function MemberList({
  members,
  presenceKnown,
  room,
}: {
  members: MemberInfo[];
  presenceKnown: boolean;
  room: string;
}) {
  return (
    <aside class="members" aria-label={`Members of ${room}`}>
      <h2>Members</h2>
      {!presenceKnown && <p class="hint">? presence unknown while offline</p>}
      <ul>
        {[...members]
          .sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name))
          .map((member) => {
            const state = !presenceKnown ? "unknown" : member.online ? "online" : "offline";
            return (
              <li key={member.name} class={`presence-${state}`}>
                <span class="dot" aria-hidden="true" />
                <span class={`name ${senderClass(member.name)}`}>{member.name}</span>
                <span class="visually-hidden">, {state}</span>
                <span class="fingerprint" title="key fingerprint">
                  {member.fingerprint}
                </span>
              </li>
            );
          })}
      </ul>
    </aside>
  );
}
