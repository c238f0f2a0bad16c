// Wire encodings of the three AWS protocols the emulated services speak. Each service answers success and errors
// exactly the way its SDK client parses them: EKS restJson1 (error code in `x-amzn-errortype`), SSM awsJson1_1
// (`__type` in the body, 400) and STS/IAM awsQuery (XML `ErrorResponse`).

export type Protocol = 'restJson' | 'awsJson' | 'awsQuery';
export type ServiceName = 'eks' | 'ssm' | 'sts' | 'iam';

export const QUERY_NAMESPACES: Record<'sts' | 'iam', { xmlns: string; version: string }> = {
  sts: { xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/', version: '2011-06-15' },
  iam: { xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/', version: '2010-05-08' },
};

/** An AWS error as the service would return it; handlers throw these and the protocol layer encodes them. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra members of the error shape (e.g. EKS `clusterName`). */
  readonly fields: Readonly<Record<string, string>>;

  constructor(code: string, status: number, message: string, fields: Record<string, string> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** JSON value with timestamps already converted; `undefined` members are dropped by JSON.stringify. */
export type JsonOut = string | number | boolean | null | undefined | JsonOut[] | { [key: string]: JsonOut };

export function epochSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}

export function restJsonResponse(requestId: string, payload: JsonOut, status = 200): WireResponse {
  return { status, headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId }, body: JSON.stringify(payload ?? {}) };
}

export function awsJsonResponse(requestId: string, payload: JsonOut): WireResponse {
  return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId }, body: JSON.stringify(payload ?? {}) };
}

export function errorResponse(protocol: Protocol, error: ApiError, requestId: string, service: ServiceName | undefined): WireResponse {
  switch (protocol) {
    case 'restJson':
      return {
        status: error.status,
        headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.code },
        body: JSON.stringify({ ...error.fields, message: error.message }),
      };
    case 'awsJson':
      return {
        status: error.status,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
        body: JSON.stringify({ __type: error.code, ...error.fields, Message: error.message }),
      };
    case 'awsQuery': {
      const xmlns = QUERY_NAMESPACES[service === 'sts' ? 'sts' : 'iam'].xmlns;
      const type = error.status >= 500 ? 'Receiver' : 'Sender';
      const body = `<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code>`
        + `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      return { status: error.status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
    }
  }
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (char) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' } as Record<string, string>)[char]};`);
}

/** XML value: objects become child elements, arrays become `<member>` lists, Dates ISO 8601 (awsQuery's format). */
export type XmlOut = string | number | boolean | Date | undefined | XmlOut[] | { [key: string]: XmlOut };

export function toXml(value: XmlOut): string {
  if (value === undefined) return '';
  if (value instanceof Date) return value.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    let out = '';
    for (const [key, child] of Object.entries(value)) if (child !== undefined) out += `<${key}>${toXml(child)}</${key}>`;
    return out;
  }
  return escapeXml(String(value));
}

export function queryResponse(service: 'sts' | 'iam', action: string, requestId: string, result: XmlOut | undefined): WireResponse {
  const { xmlns } = QUERY_NAMESPACES[service];
  const resultXml = result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`;
  const body = `<${action}Response xmlns="${xmlns}">${resultXml}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

/** The error each protocol uses for the same situation: denied, throttled, unknown operation and so on. */
export const protocolErrors = {
  accessDenied(service: ServiceName, message: string): ApiError {
    if (service === 'ssm') return new ApiError('AccessDeniedException', 400, message);
    if (service === 'eks') return new ApiError('AccessDeniedException', 403, message);
    return new ApiError('AccessDenied', 403, message);
  },
  throttled(protocol: Protocol): ApiError {
    if (protocol === 'restJson') return new ApiError('ThrottlingException', 429, 'Rate exceeded');
    if (protocol === 'awsJson') return new ApiError('ThrottlingException', 400, 'Rate exceeded');
    return new ApiError('Throttling', 400, 'Rate exceeded');
  },
  injected(service: ServiceName | undefined, status: number): ApiError {
    const unavailable = status === 503;
    switch (service) {
      case 'eks':
        return unavailable
          ? new ApiError('ServiceUnavailableException', 503, 'The service is unavailable. Back off and retry the operation.')
          : new ApiError('ServerException', status, 'These errors are usually caused by a server-side issue.');
      case 'ssm':
        return unavailable ? new ApiError('ServiceUnavailableException', 503, 'Service Unavailable') : new ApiError('InternalServerError', status, 'An error occurred on the server side.');
      case 'iam':
        return unavailable ? new ApiError('ServiceUnavailable', 503, 'Service Unavailable') : new ApiError('ServiceFailure', status, 'The request processing has failed because of an unknown error, exception or failure.');
      default:
        return unavailable ? new ApiError('ServiceUnavailable', 503, 'Service Unavailable') : new ApiError('InternalFailure', status, 'The request processing has failed because of an unknown error, exception or failure.');
    }
  },
  internal(protocol: Protocol, detail: string): ApiError {
    if (protocol === 'restJson') return new ApiError('ServerException', 500, `Emulator failure: ${detail}`);
    if (protocol === 'awsJson') return new ApiError('InternalServerError', 500, `Emulator failure: ${detail}`);
    return new ApiError('InternalFailure', 500, `Emulator failure: ${detail}`);
  },
  missingAuthentication(protocol: Protocol): ApiError {
    if (protocol === 'restJson') return new ApiError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
    if (protocol === 'awsJson') return new ApiError('MissingAuthenticationTokenException', 400, 'Request is missing Authentication Token');
    return new ApiError('MissingAuthenticationToken', 403, 'Request is missing Authentication Token');
  },
  incompleteSignature(protocol: Protocol, detail: string): ApiError {
    if (protocol === 'awsQuery') return new ApiError('IncompleteSignature', 403, detail);
    return new ApiError('IncompleteSignatureException', protocol === 'awsJson' ? 400 : 403, detail);
  },
  invalidToken(protocol: Protocol): ApiError {
    const message = 'The security token included in the request is invalid.';
    if (protocol === 'awsQuery') return new ApiError('InvalidClientTokenId', 403, message);
    return new ApiError('UnrecognizedClientException', protocol === 'awsJson' ? 400 : 403, message);
  },
  expiredToken(protocol: Protocol): ApiError {
    const message = 'The security token included in the request is expired';
    if (protocol === 'awsQuery') return new ApiError('ExpiredToken', 403, message);
    return new ApiError('ExpiredTokenException', protocol === 'awsJson' ? 400 : 403, message);
  },
  signatureMismatch(protocol: Protocol): ApiError {
    const message = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
    if (protocol === 'awsQuery') return new ApiError('SignatureDoesNotMatch', 403, message);
    return new ApiError('InvalidSignatureException', protocol === 'awsJson' ? 400 : 403, message);
  },
  unknownOperation(protocol: Protocol, operation: string, version?: string): ApiError {
    if (protocol === 'awsQuery') return new ApiError('InvalidAction', 400, `Could not find operation ${operation} for version ${version ?? 'unknown'}`);
    if (protocol === 'awsJson') return new ApiError('UnknownOperationException', 400, `Unknown operation ${operation}`);
    return new ApiError('UnknownOperationException', 404, `No operation matches ${operation}`);
  },
} as const;

/** Coral's wording for a model constraint violation; names the member and the constraint. */
export function constraintMessage(value: unknown, member: string, constraint: string): string {
  const shown = typeof value === 'string' ? value : JSON.stringify(value);
  return `1 validation error detected: Value '${shown}' at '${member}' failed to satisfy constraint: ${constraint}`;
}
