import * as core from '@actions/core';
import { formatBytes } from './push-progress.js';
import type { PushedReference } from './push.js';

export interface PushReport {
  registry: string;
  pushed: PushedReference[];
  imageSize: number;
}

export function setOutputs(report: PushReport): void {
  const first = report.pushed[0];
  core.setOutput('registry', report.registry);
  core.setOutput('image-uri', first?.reference ?? '');
  core.setOutput(
    'image-uris',
    report.pushed.map((p) => p.reference).join('\n'),
  );
  core.setOutput('digest', first?.digest ?? '');
}

export async function writeSummary(report: PushReport): Promise<void> {
  // The summary file only exists on a runner; skip quietly elsewhere.
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary
    .addHeading('Pushed to Amazon ECR', 3)
    .addTable([
      [
        { data: 'Reference', header: true },
        { data: 'Digest', header: true },
        { data: 'Image size', header: true },
        { data: 'Checked with ECR', header: true },
      ],
      ...report.pushed.map((p) => [
        `<code>${p.reference}</code>`,
        `<code>${p.digest}</code>`,
        formatBytes(report.imageSize),
        (p.verified
          ? 'verified'
          : `not verified (${p.unverified ?? 'unknown'})`) +
          (p.alreadyThere ? ', was already there' : ''),
      ]),
    ])
    .write();
}
