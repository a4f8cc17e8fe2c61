/** A register value as the kernel prints it: `0x1e5`. */
export function hex(value: number): string {
  return value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}
