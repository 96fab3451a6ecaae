using Grpc.Core;
using Google.Protobuf.WellKnownTypes;
using Storebridge.Contracts;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Publishing;
using Storebridge.Inventory.State;

namespace Storebridge.Inventory.Reservations;

/// <summary>What a reserve call asks for, validated.</summary>
/// <param name="OrderRef">Order reference (idempotency key).</param>
/// <param name="StoreId">Store the order came from.</param>
/// <param name="Lines">SKUs and quantities.</param>
/// <param name="HoldFor">How long to hold, null for the default.</param>
public sealed record ReserveCommand(string OrderRef, string StoreId, IReadOnlyList<RequestedLine> Lines, TimeSpan? HoldFor);

/// <summary>The reservation made (or found), or the shortages that prevented it.</summary>
/// <param name="Reservation">The reservation when every line could be held.</param>
/// <param name="Shortages">SKUs that could not be held in full (then nothing is held).</param>
public sealed record ReserveOutcome(ReservationRecord? Reservation, IReadOnlyList<Shortage> Shortages);

/// <summary>
/// Reserve, commit, release and expire. Each is a read–decide–write loop over the SKU documents and the reservation,
/// written as one state transaction with ETags; losing a race to another replica means reading again.
/// </summary>
public sealed partial class ReservationService(
    InventoryState state,
    StockRules rules,
    AvailabilityPublisher publisher,
    TimeProvider time,
    ILogger<ReservationService> logger)
{
    /// <summary>Holds every line or none; a repeated call for the same order returns the first reservation.</summary>
    public async Task<ReserveOutcome> ReserveAsync(ReserveCommand command, CancellationToken cancellationToken)
    {
        var requested = Merge(command.Lines);
        var holdFor = command.HoldFor ?? rules.Options.DefaultHold;
        for (var attempt = 1; ; attempt++)
        {
            // One read for the reservation and its SKUs: the common case (a new order) needs both.
            var (existing, docs) = await state.GetManyAsync<ReservationRecord, SkuStock>(
                InventoryState.ReservationKey(command.OrderRef), [.. requested.Select(l => InventoryState.SkuKey(l.Sku))], cancellationToken);
            if (existing.Value is { } found)
            {
                InventoryMetrics.Reservations.Add(1, new KeyValuePair<string, object?>("outcome", "repeat"));
                return new ReserveOutcome(SameRequest(found, command.StoreId, requested), []);
            }

            var unknown = requested.Where((_, i) => docs[i].Value is null).Select(l => l.Sku).ToList();
            if (unknown.Count > 0)
            {
                throw new InventoryException(StatusCode.NotFound, $"Unknown SKU(s): {string.Join(", ", unknown)}.",
                    [.. unknown.Select(s => new InventoryProblem("sku", s, "The inventory has no stock record for this SKU.", IsField: false))]);
            }

            var now = time.GetUtcNow();
            var record = new ReservationRecord
            {
                OrderRef = command.OrderRef,
                StoreId = command.StoreId,
                Requested = requested,
                Status = ReservationStatus.Held,
                CreatedAt = now,
                ExpiresAt = now + holdFor,
            };
            var shortages = new List<Shortage>();
            for (var i = 0; i < requested.Count; i++)
            {
                var line = requested[i];
                var stock = docs[i].Value!;
                var split = rules.Allocate(stock, command.StoreId, line.Quantity, now);
                if (split is null)
                {
                    shortages.Add(new Shortage { Sku = line.Sku, Requested = line.Quantity, Available = rules.AvailableForStore(stock, command.StoreId, now) });
                    continue;
                }

                stock.Holds[command.OrderRef] = new Hold { StoreId = command.StoreId, Quantities = split, State = HoldState.Held, ExpiresAt = record.ExpiresAt };
                record.Lines.AddRange(split.Select(s => new AllocatedLine(line.Sku, s.Key, s.Value)));
            }

            if (shortages.Count > 0)
            {
                InventoryMetrics.Reservations.Add(1, new KeyValuePair<string, object?>("outcome", "short"));
                return new ReserveOutcome(null, shortages);
            }

            var changes = new List<AvailabilityChange>();
            var writes = new List<StateWrite>();
            foreach (var doc in docs)
            {
                doc.Value!.Version++;
                changes.AddRange(rules.RefreshPublished(doc.Value, now));
                writes.Add(new StateWrite(doc.Key, doc.Value, doc.ETag));
            }

            writes.Add(new StateWrite(InventoryState.ReservationKey(command.OrderRef), record, null, CreateOnly: true));
            if (await state.TryWriteAsync(writes, cancellationToken))
            {
                LogReserved(logger, command.OrderRef, command.StoreId, record.Lines.Count, attempt);
                InventoryMetrics.Reservations.Add(1, new KeyValuePair<string, object?>("outcome", "reserved"));
                publisher.Announce(changes);
                publisher.Publish(Topics.InventoryReserved, new StockReserved { Reservation = record.ToContract(), OccurredAt = Timestamp.FromDateTimeOffset(now) });
                return new ReserveOutcome(record, []);
            }

            await BackOffAsync(attempt, cancellationToken);
        }
    }

    /// <summary>Marks the reservation as covered by the acknowledged ERP order; committing twice is harmless.</summary>
    public async Task<ReservationRecord> CommitAsync(string orderRef, string? erpSalesOrderId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (reservation, docs) = await LoadAsync(orderRef, cancellationToken);
            var record = reservation.Value!;
            var now = time.GetUtcNow();
            switch (record.Status)
            {
                case ReservationStatus.Committed:
                    return record;
                case ReservationStatus.Released or ReservationStatus.Expired:
                    throw new InventoryException(StatusCode.FailedPrecondition,
                        $"Reservation {orderRef} is {record.Status} and cannot be committed.",
                        [new InventoryProblem("reservation", orderRef, $"status is {record.Status}", IsField: false)]);
                case ReservationStatus.Held when record.ExpiresAt <= now:
                    // Its stock already counts as available again; committing now could sell it twice.
                    throw new InventoryException(StatusCode.FailedPrecondition,
                        $"Reservation {orderRef} expired at {record.ExpiresAt:O}.",
                        [new InventoryProblem("reservation", orderRef, "the hold expired before the commit", IsField: false)]);
            }

            record.Status = ReservationStatus.Committed;
            record.ErpSalesOrderId = string.IsNullOrEmpty(erpSalesOrderId) ? record.ErpSalesOrderId : erpSalesOrderId;
            var writes = new List<StateWrite>();
            foreach (var doc in docs)
            {
                if (doc.Value!.Holds.TryGetValue(orderRef, out var hold))
                {
                    hold.State = HoldState.Committed;
                    hold.CommittedAt = now;
                    doc.Value.Version++;
                    writes.Add(new StateWrite(doc.Key, doc.Value, doc.ETag));
                }
            }

            writes.Add(new StateWrite(reservation.Key, record, reservation.ETag));
            if (await state.TryWriteAsync(writes, cancellationToken))
            {
                LogCommitted(logger, orderRef, record.ErpSalesOrderId);
                publisher.Publish(Topics.InventoryReservationCommitted, new ReservationCommitted { Reservation = record.ToContract(), OccurredAt = Timestamp.FromDateTimeOffset(now) });
                return record;
            }

            await BackOffAsync(attempt, cancellationToken);
        }
    }

    /// <summary>Gives the stock back; releasing a released or expired reservation returns it unchanged.</summary>
    public Task<ReservationRecord> ReleaseAsync(string orderRef, string? reason, CancellationToken cancellationToken) =>
        CloseAsync(orderRef, ReservationStatus.Released, reason, onlyIfExpired: false, cancellationToken)!;

    /// <summary>Expires the reservation if it is still held past its time; returns null when there was nothing to do.</summary>
    public Task<ReservationRecord?> ExpireAsync(string orderRef, CancellationToken cancellationToken) =>
        CloseAsync(orderRef, ReservationStatus.Expired, "expired", onlyIfExpired: true, cancellationToken);

    private async Task<ReservationRecord?> CloseAsync(string orderRef, ReservationStatus closeAs, string? reason, bool onlyIfExpired, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (reservation, docs) = await LoadAsync(orderRef, cancellationToken);
            var record = reservation.Value!;
            var now = time.GetUtcNow();
            if (record.Status is ReservationStatus.Released or ReservationStatus.Expired)
            {
                return onlyIfExpired ? null : record;
            }

            if (onlyIfExpired && (record.Status != ReservationStatus.Held || record.ExpiresAt > now))
            {
                return null;
            }

            record.Status = closeAs;
            record.Reason = reason;
            record.ClosedAt = now;
            var changes = new List<AvailabilityChange>();
            var writes = new List<StateWrite>();
            foreach (var doc in docs)
            {
                if (doc.Value!.Holds.Remove(orderRef))
                {
                    doc.Value.Version++;
                    changes.AddRange(rules.RefreshPublished(doc.Value, now));
                    writes.Add(new StateWrite(doc.Key, doc.Value, doc.ETag));
                }
            }

            writes.Add(new StateWrite(reservation.Key, record, reservation.ETag));
            if (await state.TryWriteAsync(writes, cancellationToken))
            {
                LogClosed(logger, orderRef, closeAs);
                publisher.Announce(changes);
                var occurred = Timestamp.FromDateTimeOffset(now);
                if (closeAs == ReservationStatus.Expired)
                {
                    publisher.Publish(Topics.InventoryReservationExpired, new ReservationExpired { Reservation = record.ToContract(), OccurredAt = occurred });
                }
                else
                {
                    publisher.Publish(Topics.InventoryReservationReleased, new ReservationReleased { Reservation = record.ToContract(), Reason = reason ?? "", OccurredAt = occurred });
                }

                return record;
            }

            await BackOffAsync(attempt, cancellationToken);
        }
    }

    private async Task<(Versioned<ReservationRecord> Reservation, List<Versioned<SkuStock>> Docs)> LoadAsync(string orderRef, CancellationToken cancellationToken)
    {
        var reservation = await state.GetAsync<ReservationRecord>(InventoryState.ReservationKey(orderRef), cancellationToken);
        if (reservation.Value is null)
        {
            throw new InventoryException(StatusCode.NotFound, $"No reservation for order {orderRef}.",
                [new InventoryProblem("reservation", orderRef, "no reservation with this order reference", IsField: false)]);
        }

        var docs = await state.GetManyAsync<SkuStock>([.. reservation.Value.Skus.Select(InventoryState.SkuKey)], cancellationToken);
        return (reservation, [.. docs.Where(d => d.Value is not null)]);
    }

    private ReservationRecord SameRequest(ReservationRecord found, string storeId, List<RequestedLine> requested)
    {
        if (found.StoreId == storeId && found.Requested.SequenceEqual(requested))
        {
            return found;
        }

        throw new InventoryException(StatusCode.AlreadyExists,
            $"Order {found.OrderRef} already has a reservation with different lines or store.",
            [new InventoryProblem("reservation", found.OrderRef, "a repeated reserve must carry the same store and lines", IsField: false)]);
    }

    /// <summary>Lines merged per SKU and sorted, so the same order always reads as the same request.</summary>
    internal static List<RequestedLine> Merge(IEnumerable<RequestedLine> lines) =>
        [.. lines.GroupBy(l => l.Sku, StringComparer.Ordinal)
            .Select(g => new RequestedLine(g.Key, checked(g.Sum(l => l.Quantity))))
            .OrderBy(l => l.Sku, StringComparer.Ordinal)];

    private async Task BackOffAsync(int attempt, CancellationToken cancellationToken)
    {
        if (attempt >= rules.Options.MaxConcurrencyAttempts)
        {
            throw new InventoryException(StatusCode.Aborted, "Too much contention on these SKUs; try again.");
        }

        LogConflict(logger, attempt);
        InventoryMetrics.StateConflicts.Add(1);
        // Jittered, growing pause (wall clock, not business time): replicas that collided on a SKU spread out.
        var ceiling = Math.Min(50, 1 << Math.Min(attempt, 6));
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(0, ceiling)), cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reserved {OrderRef} for store {StoreId}: {Lines} line(s) after {Attempts} attempt(s)")]
    private static partial void LogReserved(ILogger logger, string orderRef, string storeId, int lines, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committed reservation {OrderRef} (ERP order {ErpOrder})")]
    private static partial void LogCommitted(ILogger logger, string orderRef, string? erpOrder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reservation {OrderRef} closed as {Status}")]
    private static partial void LogClosed(ILogger logger, string orderRef, ReservationStatus status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "State write lost a race (attempt {Attempt}); reading again")]
    private static partial void LogConflict(ILogger logger, int attempt);
}
