using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Storebridge.Contracts.Inventory.V1;
using Storebridge.Inventory.Domain;
using Storebridge.Inventory.Reservations;
using Storebridge.Inventory.State;
using Status = Google.Rpc.Status;

namespace Storebridge.Inventory.Grpc;

/// <summary>
/// The inventory service's gRPC API: Reserve, Commit, Release and GetAvailability. Bad input is refused before any
/// state is touched, with <c>google.rpc.BadRequest</c> / <c>ResourceInfo</c> details.
/// </summary>
public sealed class InventoryGrpc(ReservationService reservations, InventoryState state, StockRules rules, TimeProvider time)
    : InventoryService.InventoryServiceBase
{
    private const int MaxLines = 500;

    /// <inheritdoc />
    public override Task<ReserveResponse> Reserve(ReserveRequest request, ServerCallContext context) => Guard(async () =>
    {
        var problems = new List<InventoryProblem>();
        RequireText(problems, "order_ref", request.OrderRef);
        RequireText(problems, "store_id", request.StoreId);
        if (request.Lines.Count == 0)
        {
            problems.Add(Field("lines", "at least one line is required"));
        }
        else if (request.Lines.Count > MaxLines)
        {
            problems.Add(Field("lines", $"at most {MaxLines} lines"));
        }

        for (var i = 0; i < request.Lines.Count; i++)
        {
            RequireText(problems, $"lines[{i}].sku", request.Lines[i].Sku);
            if (request.Lines[i].Quantity <= 0)
            {
                problems.Add(Field($"lines[{i}].quantity", $"must be positive, was {request.Lines[i].Quantity}"));
            }
        }

        TimeSpan? holdFor = null;
        if (request.HoldFor is { } hold)
        {
            var span = hold.ToTimeSpan();
            if (span < TimeSpan.Zero || span > rules.Options.MaxHold)
            {
                problems.Add(Field("hold_for", $"must be between 0 and {rules.Options.MaxHold}"));
            }
            else if (span > TimeSpan.Zero)
            {
                holdFor = span;
            }
        }

        ThrowIfInvalid(problems);
        RequireStore(request.StoreId);

        var outcome = await reservations.ReserveAsync(
            new ReserveCommand(request.OrderRef, request.StoreId, [.. request.Lines.Select(l => new RequestedLine(l.Sku, l.Quantity))], holdFor),
            context.CancellationToken);
        var response = new ReserveResponse
        {
            Reserved = outcome.Reservation?.Status is ReservationStatus.Held or ReservationStatus.Committed,
            Reservation = outcome.Reservation?.ToContract(),
        };
        response.Shortages.AddRange(outcome.Shortages);
        return response;
    });

    /// <inheritdoc />
    public override Task<CommitResponse> Commit(CommitRequest request, ServerCallContext context) => Guard(async () =>
    {
        var problems = new List<InventoryProblem>();
        RequireText(problems, "order_ref", request.OrderRef);
        ThrowIfInvalid(problems);
        var record = await reservations.CommitAsync(request.OrderRef, request.ErpSalesOrderId, context.CancellationToken);
        return new CommitResponse { Reservation = record.ToContract() };
    });

    /// <inheritdoc />
    public override Task<ReleaseResponse> Release(ReleaseRequest request, ServerCallContext context) => Guard(async () =>
    {
        var problems = new List<InventoryProblem>();
        RequireText(problems, "order_ref", request.OrderRef);
        ThrowIfInvalid(problems);
        var record = await reservations.ReleaseAsync(request.OrderRef, string.IsNullOrEmpty(request.Reason) ? null : request.Reason, context.CancellationToken);
        return new ReleaseResponse { Reservation = record.ToContract() };
    });

    /// <inheritdoc />
    public override Task<GetAvailabilityResponse> GetAvailability(GetAvailabilityRequest request, ServerCallContext context) => Guard(async () =>
    {
        var problems = new List<InventoryProblem>();
        RequireText(problems, "store_id", request.StoreId);
        if (request.Skus.Count == 0)
        {
            problems.Add(Field("skus", "at least one SKU is required"));
        }
        else if (request.Skus.Count > MaxLines)
        {
            problems.Add(Field("skus", $"at most {MaxLines} SKUs"));
        }

        for (var i = 0; i < request.Skus.Count; i++)
        {
            RequireText(problems, $"skus[{i}]", request.Skus[i]);
        }

        ThrowIfInvalid(problems);
        RequireStore(request.StoreId);

        var skus = request.Skus.Distinct(StringComparer.Ordinal).ToList();
        var docs = await state.GetManyAsync<SkuStock>([.. skus.Select(InventoryState.SkuKey)], context.CancellationToken);
        var unknown = skus.Where((_, i) => docs[i].Value is null).ToList();
        if (unknown.Count > 0)
        {
            throw new InventoryException(StatusCode.NotFound, $"Unknown SKU(s): {string.Join(", ", unknown)}.",
                [.. unknown.Select(s => new InventoryProblem("sku", s, "The inventory has no stock record for this SKU.", IsField: false))]);
        }

        var now = time.GetUtcNow();
        var response = new GetAvailabilityResponse();
        foreach (var stock in docs.Select(d => d.Value!))
        {
            var item = new Availability { Sku = stock.Sku, StoreId = request.StoreId, AsOf = Timestamp.FromDateTimeOffset(now) };
            foreach (var warehouseId in rules.WarehousesOf(request.StoreId))
            {
                if (!stock.Warehouses.TryGetValue(warehouseId, out var warehouse))
                {
                    continue;
                }

                var available = rules.Available(stock, warehouseId, now);
                item.Available += available;
                item.ByWarehouse.Add(new StockLevel
                {
                    Sku = stock.Sku,
                    WarehouseId = warehouseId,
                    OnHand = warehouse.OnHand,
                    ErpReserved = warehouse.ErpReserved,
                    OpenReservations = rules.HeldUnits(stock, warehouseId, now),
                    SafetyStock = rules.SafetyStock(stock.Sku),
                    Available = available,
                    AsOf = Timestamp.FromDateTimeOffset(warehouse.AsOf),
                });
            }

            response.Items.Add(item);
        }

        return response;
    });

    private void RequireStore(string storeId)
    {
        if (!rules.IsKnownStore(storeId))
        {
            throw new InventoryException(StatusCode.NotFound, $"Store {storeId} is not configured.",
                [new InventoryProblem("store", storeId, "no warehouse routing is configured for this store", IsField: false)]);
        }
    }

    private static void RequireText(List<InventoryProblem> problems, string field, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add(Field(field, "is required"));
        }
        else if (value.Length > 200)
        {
            problems.Add(Field(field, "must be at most 200 characters"));
        }
    }

    private static InventoryProblem Field(string field, string description) => new("field", field, description, IsField: true);

    private static void ThrowIfInvalid(List<InventoryProblem> problems)
    {
        if (problems.Count > 0)
        {
            throw new InventoryException(StatusCode.InvalidArgument,
                "Invalid request: " + string.Join("; ", problems.Select(p => $"{p.Subject} {p.Description}")), problems);
        }
    }

    private static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (InventoryException ex)
        {
            throw ToRpcException(ex);
        }
        catch (Dapr.DaprException ex)
        {
            _ = ex;
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.Unavailable, "The inventory state store is not reachable; try again."));
        }
    }

    /// <summary>The gRPC error with <c>google.rpc</c> details: BadRequest for fields, ResourceInfo for missing things.</summary>
    internal static RpcException ToRpcException(InventoryException ex)
    {
        var status = new Status { Code = (int)ex.Status, Message = ex.Message };
        var fields = ex.Problems.Where(p => p.IsField).ToList();
        if (fields.Count > 0)
        {
            var badRequest = new BadRequest();
            badRequest.FieldViolations.AddRange(fields.Select(f => new BadRequest.Types.FieldViolation { Field = f.Subject, Description = f.Description }));
            status.Details.Add(Any.Pack(badRequest));
        }

        foreach (var resource in ex.Problems.Where(p => !p.IsField))
        {
            status.Details.Add(Any.Pack(new ResourceInfo { ResourceType = resource.Kind, ResourceName = resource.Subject, Description = resource.Description }));
        }

        return status.ToRpcException();
    }
}
