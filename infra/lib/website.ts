/**
 * Website and API edge: one CloudFront distribution serves the static site from a private S3 bucket (origin
 * access control) and routes the API's paths to the api function's URL (origin access control, AWS_IAM), so the
 * site and its API share one origin: no CORS, and the payout-threshold POST is same-origin.
 *
 * - Bucket: all public access blocked, TLS enforced, S3-managed encryption, server access logs to a log bucket
 *   (which also receives the CloudFront logs; 90 days).
 * - API behaviours: the public GET routes are cached as the API's Cache-Control says (max 60 s). Each route's cache
 *   key holds only the query parameters that route reads (api-cache.ts; one cache policy per distinct set), and only
 *   those reach the function. Admin routes and POST /set_payout_threshold are never cached and get the whole query
 *   string (the admin pages' ?password=). The origin request carries a short header allow-list:
 *   CloudFront-Viewer-Address (the client IP the api trusts),
 *   X-Admin-Token (admin; CloudFront's own SigV4 signature occupies Authorization) and x-amz-content-sha256 (Lambda
 *   URLs behind origin access control need the SHA-256 of a POST body from the client).
 * - Deploy: website/dist (or a placeholder page created at synth when the site is not built) is copied to the
 *   bucket, except config.js, which is written at deploy time (Source.data) with the API address and the pool host
 *   (load balancer DNS name or stratumDomainName), served no-cache; the distribution is invalidated.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { cacheQueryOf } from './api-cache.js';
import { acknowledge } from './nag.js';

export interface ApiRoutes {
  /** Public GET routes (cacheable). */
  public: readonly string[];
  /** Admin routes (never cached). */
  admin: readonly string[];
  /** The write route (POST, never cached). */
  write: string;
}

export interface WebsiteProps {
  /** The built site (website/dist); a placeholder is used when it has no index.html. */
  distDir: string;
  apiUrl: lambda.IFunctionUrl;
  routes: ApiRoutes;
  /** Shown to miners as the stratum host. */
  poolHost: string;
  /** Static fields of window.POOL_CONFIG (symbol, network, coinUnits...). */
  siteFields: Record<string, string | number>;
  domainName?: string | undefined;
  domainCertificateArn?: string | undefined;
}

export class Website extends Construct {
  readonly bucket: s3.Bucket;
  readonly logs: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** https://<domain> of the site (and of the API: same origin). */
  readonly url: string;
  readonly usedPlaceholder: boolean;

  constructor(scope: Construct, id: string, props: WebsiteProps) {
    super(scope, id);
    this.logs = new s3.Bucket(this, 'Logs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.logs,
      'AwsSolutions-S1',
      'This is the access-log bucket itself; logging it into itself would loop.',
    );
    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const apiOrigin = origins.FunctionUrlOrigin.withOriginAccessControl(props.apiUrl, {
      readTimeout: Duration.seconds(30),
    });
    // one cache policy per distinct set of query parameters (CloudFront allows 20 custom cache policies per account)
    const cachePolicies = new Map<string, cloudfront.CachePolicy>();
    const apiCache = (route: string): cloudfront.CachePolicy => {
      const keys = cacheQueryOf(route);
      const id =
        keys.length === 0
          ? 'ApiCacheNoQuery'
          : `ApiCacheBy${keys.map((k) => k.charAt(0).toUpperCase() + k.slice(1)).join('')}`;
      let policy = cachePolicies.get(id);
      if (!policy) {
        policy = new cloudfront.CachePolicy(this, id, {
          comment: `Pool API: honour the API Cache-Control (max 60 s), key on ${keys.length === 0 ? 'the path only' : `query ${keys.join(', ')}`}`,
          minTtl: Duration.seconds(0),
          defaultTtl: Duration.seconds(0),
          maxTtl: Duration.seconds(60),
          queryStringBehavior:
            keys.length === 0
              ? cloudfront.CacheQueryStringBehavior.none()
              : cloudfront.CacheQueryStringBehavior.allowList(...keys),
          headerBehavior: cloudfront.CacheHeaderBehavior.none(),
          cookieBehavior: cloudfront.CacheCookieBehavior.none(),
          enableAcceptEncodingGzip: true,
          enableAcceptEncodingBrotli: true,
        });
        cachePolicies.set(id, policy);
      }
      return policy;
    };
    const headers = cloudfront.OriginRequestHeaderBehavior.allowList(
      'CloudFront-Viewer-Address',
      'X-Admin-Token',
      'x-amz-content-sha256',
      'Content-Type',
      'Accept',
      'Origin',
      'Access-Control-Request-Method',
      'Access-Control-Request-Headers',
    );
    const apiRequest = new cloudfront.OriginRequestPolicy(this, 'ApiRequest', {
      comment:
        'Pool API, uncached routes: query string and the headers the API uses (no Host: origin access control signs for the URL host)',
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.all(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
      headerBehavior: headers,
    });
    const apiReadRequest = new cloudfront.OriginRequestPolicy(this, 'ApiReadRequest', {
      comment: 'Pool API, cached routes: the headers the API uses; the query parameters come from the cache key only',
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
      headerBehavior: headers,
    });
    const api = (
      methods: cloudfront.AllowedMethods,
      cachePolicy: cloudfront.ICachePolicy,
      originRequestPolicy = apiRequest,
    ): cloudfront.BehaviorOptions => ({
      origin: apiOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: methods,
      cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
      cachePolicy,
      originRequestPolicy,
      responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      compress: true,
    });
    const behaviors: Record<string, cloudfront.BehaviorOptions> = {};
    for (const r of props.routes.public)
      behaviors[r] = api(cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS, apiCache(r), apiReadRequest);
    for (const r of props.routes.admin)
      behaviors[r] = api(cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS, cloudfront.CachePolicy.CACHING_DISABLED);
    behaviors[props.routes.write] = api(cloudfront.AllowedMethods.ALLOW_ALL, cloudfront.CachePolicy.CACHING_DISABLED);

    const custom = props.domainName !== undefined && props.domainCertificateArn !== undefined;
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Pool website and API',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
        compress: true,
      },
      additionalBehaviors: behaviors,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: 'cloudfront/',
      ...(custom
        ? {
            domainNames: [props.domainName!],
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.domainCertificateArn!),
          }
        : {}),
    });
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'A public mining pool serves miners worldwide; no country is excluded.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'No WAF web ACL: the API rate-limits admin logins itself and caches public reads at the edge; a WAF adds a fixed monthly cost beyond a small pool (can be added with webAclId).',
    );
    if (!custom) {
      acknowledge(
        this.distribution,
        'AwsSolutions-CFR4',
        'Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose TLS policy cannot be set; set domainName + domainCertificateArn to enforce TLSv1.2_2021.',
      );
    }
    this.url = `https://${custom ? props.domainName! : this.distribution.distributionDomainName}`;

    const { dir, placeholder } = siteDir(this, props.distDir);
    this.usedPlaceholder = placeholder;
    const site = new s3deploy.BucketDeployment(this, 'DeploySite', {
      sources: [s3deploy.Source.asset(dir, { exclude: ['config.js'] })],
      destinationBucket: this.bucket,
      exclude: ['config.js'],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
    const fields: string[] = [`"api": "${this.url}"`, `"poolHost": "${props.poolHost}"`];
    for (const [k, v] of Object.entries(props.siteFields)) fields.push(`${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    const configJs = `/* written at deploy by infra/lib/website.ts */\nwindow.POOL_CONFIG = {${fields.join(', ')}};\n`;
    const config = new s3deploy.BucketDeployment(this, 'DeployConfig', {
      sources: [s3deploy.Source.data('config.js', configJs, { jsonEscape: true })],
      destinationBucket: this.bucket,
      prune: false,
      cacheControl: [s3deploy.CacheControl.noCache()],
      contentType: 'text/javascript; charset=utf-8',
      distribution: this.distribution,
      distributionPaths: ['/config.js'],
      memoryLimit: 256,
    });
    config.node.addDependency(site);
    acknowledgeBucketDeploymentHandler(this);
  }
}

/**
 * BucketDeployment runs a CDK-provided singleton function at stack level (Custom::CDKBucketDeployment...). Its
 * findings are acknowledged on that construct only.
 */
function acknowledgeBucketDeploymentHandler(scope: Construct): void {
  const stack = Stack.of(scope);
  const handlers = stack.node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
  const why = 'CDK-managed BucketDeployment handler (deploy time only):';
  for (const h of handlers) {
    acknowledge(h, 'AwsSolutions-L1', `${why} its runtime is pinned by aws-cdk-lib and updated with the library.`);
    const role = h.node.findChild('ServiceRole');
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      `${why} writes its own logs only.`,
    );
    const policy = role.node.findChild('DefaultPolicy');
    for (const f of [
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::s3:DeleteObject*',
      'Action::s3:Abort*',
      'Resource::*',
      'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
      `Resource::<${stack.getLogicalId(scope.node.findChild('Site').node.defaultChild as s3.CfnBucket)}.Arn>/*`,
    ]) {
      acknowledge(
        policy,
        `AwsSolutions-IAM5[${f}]`,
        `${why} copies the built site from the asset bucket into the site bucket and invalidates the distribution (cloudfront:CreateInvalidation has no resource-level scoping).`,
      );
    }
  }
}

/** website/dist when built, else a placeholder page written under the cloud assembly directory at synth. */
function siteDir(scope: Construct, distDir: string): { dir: string; placeholder: boolean } {
  if (existsSync(join(distDir, 'index.html'))) return { dir: distDir, placeholder: false };
  const outdir = Stage.of(scope)?.outdir ?? '.';
  const dir = join(outdir, 'website-placeholder');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>Pool</title><script src="config.js"></script>' +
      '<p>The pool website was not built when this stack was synthesized (run <code>npm run build</code> in website/ and deploy again).</p>\n',
  );
  return { dir, placeholder: true };
}
