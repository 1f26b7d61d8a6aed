import { it } from 'vitest';
import { getDocType } from '@tandem/ot';
import { parseClientMessage } from '@tandem/protocol';

function tryIt(f: () => unknown) { try { return f(); } catch (e) { return `${(e as {code?:string}).code}: ${(e as Error).message}`; } }
it('probe', () => {
  const t = getDocType('text');
  console.log('tp insert at cursor', t.transformCursor(5, [5, 'XX'], false), t.transformCursor(5, [5, 'XX'], true));
  const j = getDocType('json1');
  const a = [ 'title', { i: 'A' } ], b = ['title', { i: 'B' }];
  console.log('json1 left', JSON.stringify(j.transform(a, b, 'left')), 'right', JSON.stringify(j.transform(b, a, 'right')));
  console.log(JSON.stringify(j.transformWithConflicts(b, a, 'right')));
  const r = getDocType('rich-text');
  console.log(JSON.stringify(r.invertWithDoc([{retain:5, attributes:{bold:true}}], [{insert:'hello world'}])));
  console.log(JSON.stringify(r.apply([{insert:'hello world'}], [{retain:5, attributes:{bold:true}}])));
  for (const raw of [
    '{"type":"op","docId":"d","clientId":"client-aa","seq":1,"baseVersion":0}',
    '{"type":"op","docId":"d","clientId":"client-aa","seq":-1,"baseVersion":0,"op":[]}',
    '{"type":"join","docId":"bad id!"}',
    '{"type":"fetch","docId":"d","from":5,"to":2}',
    '{"type":"hello","protocol":1,"token":"t","clientId":"short"}',
    'null', '42', '[]', '{"type":5}', '{"type":"nope"}', '{bad',
  ]) console.log(raw, '=>', tryIt(() => parseClientMessage(raw)));
  console.log(tryIt(() => parseClientMessage('{"type":"ping","t":"' + 'é'.repeat(40) + '"}', 100)));
  console.log(tryIt(() => t.checkOp('nope')), tryIt(() => t.checkOpAgainst([10,'x'], 'abc')), tryIt(() => t.checkOp(['\uD800'])));
  console.log(JSON.stringify(t.compose([1,'b'],[2,'c'])));
});
