using System.Diagnostics.Metrics;

namespace Storebridge.Orders.Intake;

/// <summary>Business metrics of order intake (meter <c>Storebridge.Orders</c>).</summary>
public sealed class IntakeMetrics
{
    public const string MeterName = "Storebridge.Orders";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;

    public IntakeMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("storebridge.orders.intake.accepted", description: "Store order versions taken into the inbox.");
        _duplicates = meter.CreateCounter<long>("storebridge.orders.intake.duplicates", description: "Deliveries of an order version already in the inbox.");
        _rejected = meter.CreateCounter<long>("storebridge.orders.intake.rejected", description: "Deliveries kept in the exception queue.");
    }

    // Totals since this replica started, for GET /intake/stats (an operator's glance; the meters are the real record).
    private long _acceptedTotal;
    private long _duplicatesTotal;
    private long _rejectedTotal;

    public void Accepted(string storeId, string source)
    {
        _accepted.Add(1, new("store", storeId), new("source", source));
        Interlocked.Increment(ref _acceptedTotal);
    }

    public void Duplicate(string storeId, string source)
    {
        _duplicates.Add(1, new("store", storeId), new("source", source));
        Interlocked.Increment(ref _duplicatesTotal);
    }

    public void Rejected(string storeId, string reason)
    {
        _rejected.Add(1, new("store", storeId), new("reason", reason));
        Interlocked.Increment(ref _rejectedTotal);
    }

    public IntakeTotals Totals() => new(Interlocked.Read(ref _acceptedTotal), Interlocked.Read(ref _duplicatesTotal), Interlocked.Read(ref _rejectedTotal));
}

/// <summary>Order versions accepted, duplicate deliveries suppressed and deliveries rejected since the replica started.</summary>
public sealed record IntakeTotals(long Accepted, long Duplicates, long Rejected);
