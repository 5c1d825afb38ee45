/**
 * What a simulated node's agent reads about its hardware in the demo: a device tree
 * `compatible` list, a /proc/cpuinfo, and the `--boards` entries that name the board the pools
 * expect. Modelled on the boards the original runs on.
 */

interface BoardFixture {
  compatible: string[];
  isa: string;
  harts: number;
  uarch: string;
  /** `--boards` entries, when the defaults do not give this board's name. */
  boards?: Record<string, string>;
}

const K1_ISA =
  'rv64imafdcv_zicbom_zicboz_zicntr_zicond_zicsr_zifencei_zihintpause_zihpm_zfh_zfhmin_zca_zcd_zba_zbb_zbc_zbs_zkt_zve32f_zve32x_zve64d_zve64f_zve64x_zvfh_zvfhmin_zvkt_sscofpmf_sstc_svinval_svnapot_svpbmt';
const THEAD_ISA = 'rv64imafdc_zicntr_zicsr_zifencei_zihpm_xtheadvector';

const FIXTURES: Record<string, BoardFixture> = {
  'scw-em-rv1': {
    compatible: ['scaleway,em-rv1-c4m16s128-a', 'thead,th1520'],
    isa: THEAD_ISA,
    harts: 4,
    uarch: 'thead,c910',
  },
  'cloudv10x-pioneer': {
    compatible: ['sophgo,mango'],
    isa: THEAD_ISA,
    harts: 64,
    uarch: 'thead,c920',
  },
  'cloudv10x-jupiter': {
    compatible: ['milkv,jupiter', 'spacemit,k1-x'],
    isa: K1_ISA,
    harts: 8,
    uarch: 'spacemit,x60',
  },
  // The pools call the RVV boards cloudv10x-rvv; --boards renames the K1's default name.
  'cloudv10x-rvv': {
    compatible: ['milkv,jupiter', 'spacemit,k1-x'],
    isa: K1_ISA,
    harts: 8,
    uarch: 'spacemit,x60',
    boards: { 'spacemit,k1-x': 'cloudv10x-rvv' },
  },
};

export interface NodeFiles {
  /** NUL-separated, as /sys/firmware/devicetree/base/compatible. */
  compatible: Buffer;
  cpuinfo: string;
  /** The `--boards` YAML, if this board needs entries. */
  boardsYaml?: string;
}

/** The files for a node of `board`; a board without a fixture gets a made-up compatible. */
export function nodeFiles(board: string): NodeFiles {
  const fixture: BoardFixture = FIXTURES[board] ?? {
    compatible: [`rise-demo,${board}`],
    isa: 'rv64imafdc_zicntr_zicsr_zifencei_zihpm',
    harts: 4,
    uarch: 'sifive,u74-mc',
    boards: { [`rise-demo,${board}`]: board },
  };
  const harts = Array.from({ length: fixture.harts }, (_, i) =>
    [
      `processor\t: ${i}`,
      `hart\t\t: ${i}`,
      `isa\t\t: ${fixture.isa}`,
      'mmu\t\t: sv39',
      `uarch\t\t: ${fixture.uarch}`,
      '',
    ].join('\n'),
  );
  const boards = Object.entries(fixture.boards ?? {});
  return {
    compatible: Buffer.from(fixture.compatible.map((c) => `${c}\0`).join('')),
    cpuinfo: `${harts.join('\n')}\n`,
    ...(boards.length > 0
      ? { boardsYaml: boards.map(([c, b]) => `${JSON.stringify(c)}: ${b}\n`).join('') }
      : {}),
  };
}
