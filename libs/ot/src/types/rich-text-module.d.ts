// rich-text (ottypes, the ShareDB rich-text type) ships without declarations; this
// declares the part Tandem calls. Its deltas are quill-delta 4 instances.
declare module 'rich-text' {
  interface DeltaLike {
    ops: Record<string, unknown>[];
    compose(other: DeltaLike): DeltaLike;
    transform(other: DeltaLike, priority: boolean): DeltaLike;
    transformPosition(index: number, priority: boolean): number;
    invert(base: DeltaLike): DeltaLike;
    chop(): DeltaLike;
    diff(other: DeltaLike): DeltaLike;
  }
  const richText: {
    Delta: new (ops?: unknown) => DeltaLike;
    type: { name: string; uri: string };
  };
  export default richText;
}
