namespace Storebridge.Erp;

/// <summary>What kind of failure an ERP call ended in; callers decide on this, never on HTTP codes.</summary>
public enum ErpErrorKind
{
    /// <summary>The ERP refused the document on a business rule (credit limit, negative stock, missing field). Retrying the same call fails again.</summary>
    Validation,

    /// <summary>The document changed since it was read (optimistic concurrency). Re-read and try again.</summary>
    Concurrency,

    /// <summary>A document with the same name already exists.</summary>
    Conflict,

    /// <summary>The document or type does not exist.</summary>
    NotFound,

    /// <summary>The credentials are valid but lack the permission.</summary>
    PermissionDenied,

    /// <summary>The credentials are missing or wrong.</summary>
    Unauthenticated,

    /// <summary>The ERP asked us to slow down (429); <see cref="ErpException.RetryAfter"/> says for how long.</summary>
    RateLimited,

    /// <summary>The ERP is down, timing out, failing with 5xx, or the circuit breaker is open.</summary>
    Unavailable,

    /// <summary>The ERP answered something the adapter cannot read.</summary>
    BadResponse,
}

/// <summary>
/// An ERP call that failed after the adapter's retries. <see cref="Messages"/> holds the ERP's own user-facing
/// messages (decoded, without markup), e.g. "Credit limit has been crossed for customer CUST-00001 (100,692.36/100,000.00)".
/// </summary>
public sealed class ErpException : Exception
{
    /// <summary>Creates an exception.</summary>
    public ErpException(ErpErrorKind kind, string message, IReadOnlyList<string>? messages = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Messages = messages ?? [];
    }

    /// <summary>The kind of failure.</summary>
    public ErpErrorKind Kind { get; }

    /// <summary>The ERP's messages, in the order it logged them.</summary>
    public IReadOnlyList<string> Messages { get; }

    /// <summary>HTTP status of the last response, if there was one.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The ERP's own error class name (diagnostics only; do not branch on it).</summary>
    public string? RemoteErrorType { get; init; }

    /// <summary>For <see cref="ErpErrorKind.RateLimited"/>: how long the ERP asked to wait.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The ERP document the failure concerns, when known (e.g. a sales order left as a draft when its submit was refused).</summary>
    public string? DocumentId { get; init; }

    /// <summary>True when trying again later may succeed.</summary>
    public bool IsTransient => Kind is ErpErrorKind.Unavailable or ErpErrorKind.RateLimited or ErpErrorKind.Concurrency;
}
