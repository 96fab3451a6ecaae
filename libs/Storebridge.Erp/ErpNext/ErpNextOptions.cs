using System.ComponentModel.DataAnnotations;

namespace Storebridge.Erp.ErpNext;

/// <summary>
/// Settings of the ERPNext adapter, bound from <c>Storebridge:Erp</c>. <see cref="ApiKey"/> and
/// <see cref="ApiSecret"/> come from the Dapr secret store in deployments (secret names
/// <c>Storebridge--Erp--ApiKey</c>, <c>Storebridge--Erp--ApiSecret</c>) and are never logged.
/// </summary>
public sealed class ErpNextOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Storebridge:Erp";

    /// <summary>Site URL, e.g. <c>https://erp.example.com/</c>.</summary>
    [Required]
    public Uri? BaseUrl { get; set; }

    /// <summary>API key of the integration user.</summary>
    [Required]
    public string ApiKey { get; set; } = "";

    /// <summary>API secret of the integration user.</summary>
    [Required]
    public string ApiSecret { get; set; } = "";

    /// <summary>The selling company (credit limits are per company). Empty: the customer's first credit limit row.</summary>
    public string Company { get; set; } = "";

    /// <summary>Account the tax rows of orders and invoices post to (ERPNext needs one per tax row).</summary>
    public string TaxAccount { get; set; } = "Sales Tax - SBD";

    /// <summary>Account payments are received into; empty lets the ERP use the mode of payment's default.</summary>
    public string PaymentAccount { get; set; } = "";

    /// <summary>Store payment method → ERP mode of payment. Unlisted methods use <see cref="DefaultModeOfPayment"/>.</summary>
    public Dictionary<string, string> ModesOfPayment { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Mode of payment for methods not in <see cref="ModesOfPayment"/>.</summary>
    public string DefaultModeOfPayment { get; set; } = "Credit Card";

    /// <summary>Rows per list request.</summary>
    [Range(1, 1000)]
    public int PageSize { get; set; } = 100;

    /// <summary>Retries of a failed read (GET) at the HTTP level.</summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 3;

    /// <summary>First retry delay; doubles per retry, with jitter. A Retry-After header overrides it.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts of a whole lookup-then-create sequence when it fails transiently.</summary>
    [Range(1, 10)]
    public int CreateAttempts { get; set; } = 4;

    /// <summary>Timeout of one HTTP attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Timeout of one call including its retries.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>Failure ratio over <see cref="CircuitBreakerSamplingDuration"/> that opens the circuit.</summary>
    [Range(0.01, 1.0)]
    public double CircuitBreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Calls needed in the sampling window before the breaker may open.</summary>
    [Range(2, 10_000)]
    public int CircuitBreakerMinimumThroughput { get; set; } = 20;

    /// <summary>Window over which the failure ratio is measured.</summary>
    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open.</summary>
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Never logs the secret.</summary>
    public override string ToString() => $"ErpNext {BaseUrl} (company '{Company}', key {(ApiKey.Length > 0 ? "set" : "missing")})";
}
