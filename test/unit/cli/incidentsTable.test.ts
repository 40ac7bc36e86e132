import { describe, expect, it } from 'vitest';
import { incidentsTable } from '../../../cli/operatorCommands.ts';
import { plain } from '../../../cli/table.ts';
import type { Incident } from '../../../core/protocol/api.ts';

const incident: Incident = {
  incidentId: '0mx1zjaoa-16af98df',
  cluster: 'pm',
  target: 'pm-b',
  action: 'off',
  state: 'fenced',
  reporters: ['pm-a'],
  createdAt: '2026-11-29T15:00:00.000Z',
  updatedAt: '2026-11-29T15:00:01.000Z',
  attempts: [],
  refusedReports: [
    { reporter: 'pm-b', at: '2026-11-29T15:00:00.100Z', code: 'reporter-fenced' },
    { reporter: 'pm-b', at: '2026-11-29T15:00:00.200Z', code: 'reporter-fenced' },
  ],
};

describe('fencer history', () => {
  it("shows the refused reports (the split-brain loser's side) of each incident", () => {
    const text = incidentsTable([incident, { ...incident, refusedReports: [] }], plain);
    const [header, first, second] = text.split('\n');
    expect(header).toContain('REFUSED');
    expect(first).toContain('pm-b:reporter-fenced×2');
    expect(second).toMatch(/pm-a\s+-\s*$/);
  });
});
