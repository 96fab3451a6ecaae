using System.Diagnostics.Metrics;

namespace Storebridge.Orders.Intake;

/// <summary>Business metrics of order intake (meter <c>Storebridge.Orders</c>).</summary>
public sealed class IntakeMetrics
{
    public const string MeterName = "Storebridge.Orders";

    private readonly Counter<long> _accepted;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _dispatched;
    private readonly Counter<long> _dispatchYields;

    public IntakeMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _accepted = meter.CreateCounter<long>("storebridge.orders.intake.accepted", description: "Store order versions taken into the inbox.");
        _duplicates = meter.CreateCounter<long>("storebridge.orders.intake.duplicates", description: "Deliveries of an order version already in the inbox.");
        _rejected = meter.CreateCounter<long>("storebridge.orders.intake.rejected", description: "Deliveries kept in the exception queue.");
        _dispatched = meter.CreateCounter<long>("storebridge.orders.intake.dispatched", description: "Hand-offs done with: the workflow started or signalled, or the version found older than one already dispatched.");
        _dispatchYields = meter.CreateCounter<long>("storebridge.orders.intake.dispatch_yields", description: "Hand-offs that waited for busy webhook intake first.");
    }

    // Totals since this replica started, for GET /intake/stats (an operator's glance; the meters are the real record).
    private long _acceptedTotal;
    private long _duplicatesTotal;
    private long _rejectedTotal;
    private long _dispatchedTotal;
    private long _dispatchYieldsTotal;

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

    public void Dispatched(string storeId)
    {
        _dispatched.Add(1, new KeyValuePair<string, object?>("store", storeId));
        Interlocked.Increment(ref _dispatchedTotal);
    }

    public void DispatchYielded()
    {
        _dispatchYields.Add(1);
        Interlocked.Increment(ref _dispatchYieldsTotal);
    }

    public IntakeTotals Totals() => new(
        Interlocked.Read(ref _acceptedTotal), Interlocked.Read(ref _duplicatesTotal), Interlocked.Read(ref _rejectedTotal),
        Interlocked.Read(ref _dispatchedTotal), Interlocked.Read(ref _dispatchYieldsTotal));
}

/// <summary>
/// Since the replica started: order versions accepted, duplicate deliveries suppressed, deliveries rejected, hand-offs
/// done with (see <see cref="IntakeDispatch"/>), and hand-offs that first waited for busy intake. Accepted minus dispatched (across
/// replicas) is the backlog the broker holds.
/// </summary>
public sealed record IntakeTotals(long Accepted, long Duplicates, long Rejected, long Dispatched, long DispatchYields);
