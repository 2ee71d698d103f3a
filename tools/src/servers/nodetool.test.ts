import { parsePreview, parseStatus } from './nodetool';

// What nodetool printed here against a local three-node cluster (Cassandra 5.0.6).
const STATUS = `Datacenter: datacenter1
=======================
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address    Load        Tokens  Owns (effective)  Host ID                               Rack
UN  127.0.0.2  116.29 KiB  16      65.7%             75411c53-906b-493d-86f9-5983727b2d05  rack1
DN  127.0.0.3  116.28 KiB  16      61.3%             007e48c2-15d8-4bb6-b61b-61e2173f0d8f  rack1
UN  127.0.0.1  116.25 KiB  16      73.1%             547d4249-aa7d-49b5-9474-bf80deee0df3  rack1
`;

const OUT_OF_SYNC = `[2026-12-01 09:43:08,699] Repair preview completed successfully; Preview complete
Total estimated streaming: 47 ranges, 14 sstables, 35.734KiB bytes
exp.t - 47 ranges, 14 sstables, 35.734KiB bytes
    /127.0.0.2:37290 -> /127.0.0.3:37290: 47 ranges, 7 sstables, 17.867KiB bytes
[2026-12-01 09:43:08,706] Repair command #1 finished in 3 seconds`;

const IN_SYNC = `[2026-12-01 09:43:36,237] Previewed data was in sync
[2026-12-01 09:43:36,237] Repair preview completed successfully; Previewed data was in sync
[2026-12-01 09:43:36,237] Repair command #2 finished in 0 seconds`;

describe('parseStatus', () => {
  it('lists each member with its state', () => {
    expect(parseStatus(STATUS)).toEqual([
      { state: 'UN', address: '127.0.0.2' },
      { state: 'DN', address: '127.0.0.3' },
      { state: 'UN', address: '127.0.0.1' },
    ]);
  });

  it('finds no member in an answer that lists none', () => {
    expect(parseStatus('nodetool: Failed to connect to 127.0.0.1:7199')).toEqual([]);
  });
});

describe('parsePreview', () => {
  it('reports what a repair would stream while replicas differ', () => {
    expect(parsePreview(OUT_OF_SYNC)).toEqual({
      inSync: false,
      streaming: '47 ranges, 14 sstables, 35.734KiB bytes',
    });
  });

  it('reports replicas in sync', () => {
    expect(parsePreview(IN_SYNC)).toEqual({ inSync: true, streaming: undefined });
  });

  it('refuses an answer that says neither, rather than calling it in sync', () => {
    expect(() => parsePreview('Repair command #3 failed with error Endpoint not alive')).toThrow(
      /neither "in sync" nor what to stream/,
    );
  });
});
