/** What the server runs on, for `serverInfo`: the tensor backend chosen at start-up and its device. */
import * as tf from '@tensorflow/tfjs';
import { currentBackend } from '../models/backend';

export interface ServerInfo {
  backend: string;
  device: string;
  tensorBackend: string;
  gpu: boolean;
  reason: string;
  nodeVersion: string;
}

export function serverInfo(): ServerInfo {
  const choice = currentBackend();
  if (!choice) {
    // A server always selects at start-up; an app built without start-up runs on tfjs' default.
    const backend = tf.getBackend() ?? 'none';
    return { backend, device: 'unknown', tensorBackend: backend, gpu: false, reason: 'not selected at start-up', nodeVersion: process.version };
  }
  return {
    backend: choice.scoring,
    device: choice.device,
    tensorBackend: choice.name,
    gpu: choice.gpu,
    reason: choice.reason,
    nodeVersion: process.version,
  };
}
