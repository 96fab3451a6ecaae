namespace Storebridge.ServiceDefaults.Exceptions;

/// <summary>
/// Something a service could not process and kept instead of dropping: a rejected webhook, a malformed order, a
/// saga that failed. Operators see it in the console and can replay or resolve it.
/// </summary>
public sealed record ExceptionRecord
{
    /// <summary>Stable id: the same problem recorded twice (a redelivered bad webhook) is one record seen twice.</summary>
    public required string Id { get; init; }

    /// <summary>What kind of problem, for example <c>webhook-rejected</c>, <c>order-malformed</c>, <c>order-failed</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>A sentence saying why; never contains a secret.</summary>
    public required string Reason { get; init; }

    public string? StoreId { get; init; }

    /// <summary>The business reference (order ref, return ref) when one is known.</summary>
    public string? Reference { get; init; }

    /// <summary>The input as received (a raw webhook body), so that nothing is lost and it can be replayed.</summary>
    public string? Payload { get; init; }

    /// <summary>Headers and other facts worth keeping (topic, delivery id, signature present or not).</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();

    public ExceptionStatus Status { get; init; } = ExceptionStatus.Open;

    public DateTimeOffset FirstSeenAt { get; init; }

    public DateTimeOffset LastSeenAt { get; init; }

    public int Occurrences { get; init; } = 1;

    /// <summary>What the operator or the replay did about it.</summary>
    public string? Resolution { get; init; }
}

/// <summary>Where an exception record stands.</summary>
public enum ExceptionStatus
{
    Open,
    Replayed,
    Resolved,
}
