import * as http from 'node:http';
import * as https from 'node:https';
import { ECRClient } from '@aws-sdk/client-ecr';
import type { ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const PROXY_VARIABLES = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
];

/**
 * The AWS SDK ignores proxy variables; the AWS CLI honours them, and so do
 * we: Node's own agents (24.5+) read HTTP(S)_PROXY and NO_PROXY in either
 * case, tunnelling HTTPS with CONNECT. Without a proxy the SDK's default
 * handler is kept as it is.
 */
function requestHandler(env: NodeJS.ProcessEnv): NodeHttpHandler | undefined {
  if (!PROXY_VARIABLES.some((name) => env[name])) return undefined;
  return new NodeHttpHandler({
    httpAgent: new http.Agent({ keepAlive: true, proxyEnv: env }),
    httpsAgent: new https.Agent({ keepAlive: true, proxyEnv: env }),
  });
}

/**
 * Clients are created without an endpoint so that the SDK keeps honouring
 * AWS_ENDPOINT_URL_ECR (and _ECR_PUBLIC), AWS_ENDPOINT_URL and
 * AWS_MAX_ATTEMPTS from the environment. One client per region, reused.
 */
export class AwsClients {
  private readonly ecr = new Map<string, ECRClient>();
  private ecrPublic: Promise<ECRPUBLICClient> | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  ecrIn(region: string): ECRClient {
    let client = this.ecr.get(region);
    if (!client) {
      client = new ECRClient({
        region,
        requestHandler: requestHandler(this.env),
      });
      this.ecr.set(region, client);
    }
    return client;
  }

  /**
   * ECR Public's API lives in us-east-1 only. Its client is loaded on first
   * use: most pushes never need it, and every module loaded costs start-up.
   */
  ecrPublicClient(): Promise<ECRPUBLICClient> {
    this.ecrPublic ??= import('@aws-sdk/client-ecr-public').then(
      ({ ECRPUBLICClient }) =>
        new ECRPUBLICClient({
          region: 'us-east-1',
          requestHandler: requestHandler(this.env),
        }),
    );
    return this.ecrPublic;
  }

  destroy(): void {
    for (const client of this.ecr.values()) client.destroy();
    void this.ecrPublic?.then((client) => client.destroy());
  }
}
