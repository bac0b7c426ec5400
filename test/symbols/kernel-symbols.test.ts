/**
 * KernelSymbols: resolution over a kallsyms excerpt of a real machine (plus hand-written module
 * lines, see test/fixtures/kallsyms/README.md), the hidden (all-zero) form, and the real
 * /proc/kallsyms of this host.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { KernelSymbols } from '../../src/symbols/kernel-symbols.js';
import { fixture } from '../helpers/fixtures.js';

const text = fixture('kallsyms', 'x86_64-6.18.txt');
const symbols = KernelSymbols.parse(text);

/** `symbol+offset [module]` of `ip`, or `-` when it does not resolve: one string to compare. */
function named(table: KernelSymbols, ip: bigint): string {
  const hit = table.resolve(ip);
  return hit === undefined ? '-' : `${hit.symbol}+${hit.offset} ${hit.module ?? '?'}`;
}

describe('KernelSymbols over a real kallsyms excerpt', () => {
  test('is not hidden and counts one function per distinct code address', () => {
    assert.equal(symbols.hidden, false);
    const codeAddresses = new Set(
      text
        .split('\n')
        .filter((line) => /^[0-9a-f]+ [tTwW] /.test(line) && !/ _(etext|einittext)$/.test(line))
        .map((line) => line.slice(0, line.indexOf(' '))),
    );
    assert.equal(symbols.size, codeAddresses.size);
  });

  test('a function start resolves with offset 0, an address inside it with its offset', () => {
    assert.equal(named(symbols, 0xffffffff81000080n), 'entry_SYSCALL_64+0 [kernel]');
    assert.equal(named(symbols, 0xffffffff81000085n), 'entry_SYSCALL_64+5 [kernel]');
    // The byte before the next symbol (entry_SYSCALL_64_safe_stack at ...ac) is still the function.
    assert.equal(named(symbols, 0xffffffff810000abn), 'entry_SYSCALL_64+43 [kernel]');
    assert.equal(named(symbols, 0xffffffff810000acn), 'entry_SYSCALL_64_safe_stack+0 [kernel]');
  });

  test('several names at one address: a global one before a local one, then the first', () => {
    // `t __do_sys_getppid`, `T __ia32_sys_getppid`, `T __x64_sys_getppid`.
    assert.equal(named(symbols, 0xffffffff813827b0n), '__ia32_sys_getppid+0 [kernel]');
    // `T srso_alias_untrain_ret`, `T _stext`, `T _text`, `T __pi__text`: the first.
    assert.equal(named(symbols, 0xffffffff81000000n), 'srso_alias_untrain_ret+0 [kernel]');
    // `t __pfx_run_init_process` beats the linker markers `T __split_text_end` and friends.
    assert.equal(named(symbols, 0xffffffff81200004n), '__pfx_run_init_process+4 [kernel]');
    // `T irq_entries_start` beats `T __irqentry_text_start` as a function beats a marker.
    assert.equal(named(symbols, 0xffffffff81000300n), 'irq_entries_start+0 [kernel]');
  });

  test('below the first symbol, past the end of text, and in data: nothing', () => {
    assert.equal(named(symbols, 0n), '-');
    assert.equal(named(symbols, 0xffffffff80ffffffn), '-');
    // `T __SCT__tp_func_ma_write` at ...77d40 ends at `T _etext` (...77d48); rodata follows.
    assert.equal(named(symbols, 0xffffffff82277d47n), '__SCT__tp_func_ma_write+7 [kernel]');
    assert.equal(named(symbols, 0xffffffff82277d48n), '-');
    assert.equal(named(symbols, 0xffffffff82400010n), '-');
    // The init text: `T _sinittext` with `t __pfx_set_reset_devices` at ...80000, ends at `_einittext`.
    assert.equal(named(symbols, 0xffffffff83780000n), '__pfx_set_reset_devices+0 [kernel]');
    assert.equal(named(symbols, 0xffffffff837f690fn), 'use_tpause_delay+31 [kernel]');
    assert.equal(named(symbols, 0xffffffff837f6910n), '-');
    assert.equal(named(symbols, 0xffffffff83b28748n), '-'); // `R __start_runtime_ptr_USER_PTR_MAX`
  });

  test('module symbols carry their module, and sort into place though listed out of order', () => {
    assert.equal(named(symbols, 0xffffffffc0201000n), 'alpha_open+0 pb_alpha');
    assert.equal(named(symbols, 0xffffffffc0201010n), 'alpha_open+16 pb_alpha');
    // `t __alpha_read` comes first, but the exported `T alpha_read` wins.
    assert.equal(named(symbols, 0xffffffffc0201081n), 'alpha_read+1 pb_alpha');
    // `pb_beta` is listed after `pb_alpha` but lies below it.
    assert.equal(named(symbols, 0xffffffffc0100000n), 'beta_init+0 pb_beta');
    assert.equal(named(symbols, 0xffffffffc01000ffn), 'beta_init+255 pb_beta');
    assert.equal(named(symbols, 0xffffffffc0100100n), 'beta_exported+0 pb_beta');
    // A weak global `W` beats a local `t` at the same address.
    assert.equal(named(symbols, 0xffffffffc0100300n), 'beta_weak+0 pb_beta');
  });

  test("a module's code ends at its data, and its last function reaches a page or two", () => {
    // alpha_last (...1200) runs to `d alpha_state` (...3000).
    assert.equal(named(symbols, 0xffffffffc0202fffn), 'alpha_last+7679 pb_alpha');
    assert.equal(named(symbols, 0xffffffffc0203000n), '-');
    // beta_weak (...0300) is pb_beta's last: it covers the rest of its page and the next one.
    assert.equal(named(symbols, 0xffffffffc0101fffn), 'beta_weak+7423 pb_beta');
    // Between the modules: past pb_beta's reach, below pb_alpha.
    assert.equal(named(symbols, 0xffffffffc0102000n), '-');
    assert.equal(named(symbols, 0xffffffffc0200fffn), '-');
    // The kernel image's last function (before the modules) stops at `_einittext`, not at them.
    assert.equal(named(symbols, 0xffffffffc00fffffn), '-');
    // The very last symbol, a BPF program, also reaches one page past its own.
    assert.equal(named(symbols, 0xffffffffc0300fffn), 'bpf_prog_6deef7357e7b4530_pb_demo+4095 bpf');
    assert.equal(named(symbols, 0xffffffffc0301000n), '-');
  });

  test('addresses outside 64 bits resolve to nothing', () => {
    assert.equal(named(symbols, -1n), '-');
    assert.equal(named(symbols, 1n << 64n), '-');
    assert.equal(named(symbols, (1n << 64n) - 1n), '-');
  });

  test('ARM mapping symbols ($x, $d) are skipped; an empty text resolves nothing', () => {
    const arm = KernelSymbols.parse(
      ['ffff800080010000 t $x', 'ffff800080010000 T primary_entry', 'ffff800080010040 t $d', ''].join('\n'),
    );
    assert.equal(named(arm, 0xffff800080010044n), 'primary_entry+68 [kernel]');
    const empty = KernelSymbols.parse('');
    assert.equal(empty.hidden, false);
    assert.equal(named(empty, 0xffffffff81000000n), '-');
  });
});

describe('KernelSymbols with hidden addresses', () => {
  test('all-zero addresses (kptr_restrict) give hidden and resolve nothing', () => {
    // What a reader without CAP_SYSLOG sees: the same lines, every address printed as zeros.
    const zeroed = text.replace(/^[0-9a-f]+ /gm, '0000000000000000 ');
    const hidden = KernelSymbols.parse(zeroed);
    assert.equal(hidden.hidden, true);
    assert.equal(hidden.size, 0);
    assert.equal(hidden.resolve(0n), undefined);
    assert.equal(hidden.resolve(0xffffffff81000080n), undefined);
  });
});

/** This host's /proc/kallsyms, when it shows addresses (root and kptr_restrict < 2, or the like). */
const real = KernelSymbols.read();
const realText = readFileSync('/proc/kallsyms', 'latin1');
const skipReal = real.hidden ? '/proc/kallsyms hides its addresses here (kptr_restrict, or not root)' : false;

/** The code names at each address of the real kallsyms, in file order. */
function codeNamesByAddress(): Map<bigint, string[]> {
  const byAddress = new Map<bigint, string[]>();
  for (const line of realText.split('\n')) {
    const match = /^([0-9a-f]+) ([tTwW]) (\S+)/.exec(line);
    if (match === null) continue;
    const address = BigInt(`0x${match[1]!}`);
    const names = byAddress.get(address) ?? [];
    names.push(match[3]!);
    byAddress.set(address, names);
  }
  return byAddress;
}

describe('KernelSymbols over this host’s /proc/kallsyms', { skip: skipReal }, () => {
  const byAddress = codeNamesByAddress();

  test('a well-known function resolves to itself, +5 to offset 5', () => {
    // A function that is alone at its address, so the choice among aliases does not enter.
    const name = ['do_sys_openat2', 'do_sys_open', 'ksys_read', 'vfs_read'].find((candidate) =>
      [...byAddress.values()].some((names) => names.length === 1 && names[0] === candidate),
    );
    assert.ok(name !== undefined, 'none of do_sys_openat2, do_sys_open, ksys_read, vfs_read is in kallsyms');
    const address = [...byAddress].find(([, names]) => names[0] === name)![0];
    assert.deepEqual(real.resolve(address), { symbol: name, offset: 0, module: '[kernel]' });
    assert.deepEqual(real.resolve(address + 5n), { symbol: name, offset: 5, module: '[kernel]' });
  });

  test('the getppid syscall resolves, at offset 0, to one of the names at its address', () => {
    const address = [...byAddress].find(([, names]) => names.includes('__x64_sys_getppid'))?.[0];
    assert.ok(address !== undefined, '__x64_sys_getppid is not in kallsyms');
    const hit = real.resolve(address);
    assert.ok(hit !== undefined, `__x64_sys_getppid at ${address.toString(16)} does not resolve`);
    assert.equal(hit.offset, 0);
    assert.ok(byAddress.get(address)!.includes(hit.symbol), `${hit.symbol} is not at ${address.toString(16)}`);
  });

  test('every 97th function address resolves to a name at that address, offset 0', () => {
    const addresses = [...byAddress.keys()];
    let checked = 0;
    for (let i = 0; i < addresses.length; i += 97) {
      const address = addresses[i]!;
      const names = byAddress.get(address)!;
      if (names.every((name) => name === '_etext' || name === '_einittext')) continue;
      const hit = real.resolve(address);
      assert.ok(hit !== undefined, `${address.toString(16)} (${names.join(', ')}) does not resolve`);
      assert.equal(hit.offset, 0);
      assert.ok(names.includes(hit.symbol), `${hit.symbol} is not one of ${names.join(', ')}`);
      checked++;
    }
    assert.ok(checked > 100, `only ${checked} addresses checked`);
  });
});
