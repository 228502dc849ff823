import type { ChatModel } from "./chat-model.js";

/** The rooms and conversations, with unread and mention counts; Alt+1…9 picks the first nine. */
export function RoomList({
  model,
  labels,
  onPick,
}: {
  model: ChatModel;
  labels: string[];
  onPick: (l: string) => void;
}) {
  return (
    <nav class="rooms" aria-label="Rooms">
      <h2>Rooms</h2>
      <ul>
        {labels.map((label, index) => {
          const room = model.room(label);
          const current = label === model.current;
          return (
            <li key={label}>
              <button
                type="button"
                class={current ? "current" : ""}
                aria-current={current ? "page" : undefined}
                aria-keyshortcuts={index < 9 ? `Alt+${index + 1}` : undefined}
                onClick={() => onPick(label)}
              >
                <span class="label">{label}</span>
                {room.unread > 0 && (
                  <span class={room.mentions > 0 ? "badge mention" : "badge"} aria-label={`${room.unread} unread`}>
                    {room.unread}
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
