import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandName, registerCommands } from '../../src/commands/index.js';

const names = (p: Command) => p.commands.map((c) => c.name());

describe('lazy command registration', () => {
  it('finds the command word after program options, or none', () => {
    expect(commandName(['node', 'voc', 'ingest', 'a.csv'])).toBe('ingest');
    expect(commandName(['node', 'voc', '--config', 'c.json', 'ingest', '--json', 'a.csv'])).toBe('ingest');
    expect(commandName(['node', 'voc', '--help'])).toBeNull();
    expect(commandName(['node', 'voc'])).toBeNull();
  });

  it('registers only the named command, and every command for help or an unknown name', async () => {
    const one = new Command();
    await registerCommands(one, ['node', 'voc', 'ingest', 'a.csv']);
    expect(names(one)).toEqual(['ingest']);

    const all = new Command();
    await registerCommands(all, ['node', 'voc', '--help']);
    expect(names(all)).toEqual(expect.arrayContaining(['config', 'daemon', 'ingest', 'status', 'report', 'translate-pending', 'export']));

    const typo = new Command();
    await registerCommands(typo, ['node', 'voc', 'ingets']);
    expect(names(typo)).toEqual(names(all)); // commander can suggest "ingest"
  });
});
