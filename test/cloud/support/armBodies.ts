import type { FakeVmPower } from './fakeArm.ts';

const display: Record<FakeVmPower, string> = {
  running: 'VM running',
  stopping: 'VM stopping',
  stopped: 'VM stopped',
  deallocated: 'VM deallocated',
  starting: 'VM starting',
};

/** `GET .../virtualMachines/{vm}/instanceView`: provisioning state first, then the power state. */
export function instanceViewBody(name: string, power: FakeVmPower): object {
  return {
    computerName: name,
    osName: 'ubuntu',
    vmAgent: { vmAgentVersion: '2.9.1.1', statuses: [] },
    statuses: [
      {
        code: 'ProvisioningState/succeeded',
        level: 'Info',
        displayStatus: 'Provisioning succeeded',
        time: new Date().toISOString(),
      },
      { code: `PowerState/${power}`, level: 'Info', displayStatus: display[power] },
    ],
  };
}

/** An Azure-AsyncOperation status document. */
export function operationBody(id: string, status: 'InProgress' | 'Succeeded' | 'Failed'): object {
  const now = new Date().toISOString();
  if (status === 'InProgress') return { name: id, status, startTime: now };
  return {
    name: id,
    status,
    startTime: now,
    endTime: now,
    ...(status === 'Failed'
      ? {
          error: {
            code: 'OperationPreempted',
            message: 'Operation execution has been preempted by a more recent operation.',
          },
        }
      : {}),
  };
}
