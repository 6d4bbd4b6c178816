import { RclnodejsBus } from '../../src/bus/rclnodejs-bus';
import { busContract } from '../bus/contract';

// The bus contract of test/bus/contract.ts, every case, on rclnodejs over DDS (the in-process run is jest's).
busContract('rclnodejs', (argv = []) => RclnodejsBus.create(argv));
