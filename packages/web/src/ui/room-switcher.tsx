import { useEffect, useRef, useState } from "preact/hooks";

/** Ctrl+K: type part of a room's name, Enter to go there, Escape to close. */
export function RoomSwitcher({
  labels,
  onPick,
  onClose,
}: {
  labels: string[];
  onPick: (label: string) => void;
  onClose: () => void;
}) {
  const [filter, setFilter] = useState("");
  const [selected, setSelected] = useState(0);
  const field = useRef<HTMLInputElement>(null);
  // The autofocus attribute only works for what the page loaded with, not for a dialog added later.
  useEffect(() => field.current?.focus(), []);
  const matches = labels.filter((label) => label.toLowerCase().includes(filter.toLowerCase()));
  const pick = matches[Math.min(selected, matches.length - 1)];
  return (
    <div class="switcher-backdrop" onClick={onClose}>
      <div
        class="switcher"
        role="dialog"
        aria-modal="true"
        aria-labelledby="switcher-title"
        onClick={(e) => e.stopPropagation()}
      >
        <h2 id="switcher-title">Switch room</h2>
        <label for="switcher-filter" class="visually-hidden">
          Room name
        </label>
        <input
          id="switcher-filter"
          ref={field}
          role="combobox"
          aria-expanded="true"
          aria-controls="switcher-list"
          aria-activedescendant={pick === undefined ? undefined : `switch-${pick}`}
          value={filter}
          onInput={(e) => {
            setFilter(e.currentTarget.value);
            setSelected(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "Escape") onClose();
            else if (e.key === "ArrowDown") setSelected(Math.min(selected + 1, matches.length - 1));
            else if (e.key === "ArrowUp") setSelected(Math.max(selected - 1, 0));
            else if (e.key === "Enter" && pick !== undefined) {
              e.preventDefault();
              onPick(pick);
            }
          }}
        />
        <ul id="switcher-list" role="listbox" aria-label="Rooms">
          {matches.map((label) => (
            <li
              key={label}
              id={`switch-${label}`}
              role="option"
              aria-selected={label === pick}
              class={label === pick ? "selected" : ""}
              onClick={() => onPick(label)}
            >
              {label}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
