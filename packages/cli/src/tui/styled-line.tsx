import { Box, Text } from "ink";
import type { StyledLine } from "./styled.js";

/** One screen line made of styled runs. Lines arrive already fitted to their width. */
export function Line({ line }: { line: StyledLine }) {
  if (line.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {line.map((segment, i) => (
        <Text key={i} color={segment.color} bold={segment.bold} dimColor={segment.dim} inverse={segment.inverse}>
          {segment.text}
        </Text>
      ))}
    </Text>
  );
}

/** A fixed-size column of lines: the side lists, the message pane and the help overlay. */
export function LinePanel({ lines, width, height }: { lines: StyledLine[]; width: number; height: number }) {
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {lines.map((line, i) => (
        <Line key={i} line={line} />
      ))}
    </Box>
  );
}
