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

    public void Accepted(string storeId, string source) => _accepted.Add(1, new("store", storeId), new("source", source));

    public void Duplicate(string storeId, string source) => _duplicates.Add(1, new("store", storeId), new("source", source));

    public void Rejected(string storeId, string reason) => _rejected.Add(1, new("store", storeId), new("reason", reason));
}
