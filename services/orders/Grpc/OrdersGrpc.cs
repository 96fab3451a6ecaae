using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Storebridge.Contracts;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Orders.Domain;
using Storebridge.Orders.Workflows;

namespace Storebridge.Orders.Grpc;

/// <summary>Where every order stands, for the console and other services; and replay of orders a person fixed.</summary>
public sealed class OrdersGrpc(OrderStateStore orders, DaprOrderWorkflows workflows) : OrdersService.OrdersServiceBase
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;

    public override async Task<GetOrderResponse> GetOrder(GetOrderRequest request, ServerCallContext context)
    {
        var record = await Find(request.OrderRef, context);
        return new GetOrderResponse { Order = ToView(record) };
    }

    public override async Task<ListOrdersResponse> ListOrders(ListOrdersRequest request, ServerCallContext context)
    {
        if (request.PageSize is < 0 or > MaxPageSize)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"page_size must be between 0 and {MaxPageSize}."));
        }

        var offset = 0;
        if (request.PageToken.Length > 0 && (!int.TryParse(request.PageToken, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is not one this service issued."));
        }

        var states = request.State == OrderState.Unspecified
            ? System.Enum.GetValues<OrderState>().Where(s => s != OrderState.Unspecified)
            : [request.State];
        var refs = new List<string>();
        foreach (var state in states)
        {
            refs.AddRange(await orders.ListAsync(state, context.CancellationToken));
        }

        var records = (await orders.GetManyAsync(refs, context.CancellationToken))
            .Where(r => request.StoreId.Length == 0 || string.Equals(r.StoreId, request.StoreId, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(r => r.UpdatedAt)
            .ToList();
        var size = request.PageSize == 0 ? DefaultPageSize : request.PageSize;
        var response = new ListOrdersResponse
        {
            NextPageToken = offset + size < records.Count ? (offset + size).ToString(CultureInfo.InvariantCulture) : "",
        };
        response.Orders.AddRange(records.Skip(offset).Take(size).Select(r => new OrderSummary
        {
            OrderRef = r.OrderRef,
            StoreId = r.StoreId,
            OrderNumber = r.OrderNumber,
            State = r.State,
            StatusReason = r.StatusReason ?? "",
            UpdatedAt = Timestamp.FromDateTimeOffset(r.UpdatedAt),
        }));
        return response;
    }

    public override async Task<ReplayResponse> Replay(ReplayRequest request, ServerCallContext context)
    {
        var record = await Find(request.OrderRef, context);
        if (!OrderRecord.IsException(record.State))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"Order {record.OrderRef} is {record.State}; only on-hold, failed or rejected orders are replayed."));
        }

        await orders.TransitionAsync(record.OrderRef, record.StoreId, record.OrderNumber, OrderState.Received,
            $"replayed: {(request.Reason.Length > 0 ? request.Reason : "no reason given")}", null, null, context.CancellationToken);
        await workflows.ReplayAsync(record.OrderRef, record.OrderJson, context.CancellationToken);
        return new ReplayResponse { WorkflowInstanceId = record.OrderRef, State = OrderState.Received };
    }

    private async Task<OrderRecord> Find(string orderRef, ServerCallContext context)
    {
        if (string.IsNullOrWhiteSpace(orderRef))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "order_ref is required."));
        }

        return await orders.GetAsync(orderRef, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"No order {orderRef}."));
    }

    private static OrderView ToView(OrderRecord record)
    {
        var view = new OrderView
        {
            Order = record.OrderJson.Length > 0 ? EventJson.Parse<Order>(record.OrderJson) : new Order { OrderRef = record.OrderRef },
            State = record.State,
            ErpSalesOrderId = record.ErpSalesOrderId ?? "",
            StatusReason = record.StatusReason ?? "",
            ReceivedAt = Timestamp.FromDateTimeOffset(record.ReceivedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(record.UpdatedAt),
        };
        view.History.AddRange(record.History.Select(h => new OrderTransition
        {
            FromState = h.From,
            ToState = h.To,
            Reason = h.Reason ?? "",
            At = Timestamp.FromDateTimeOffset(h.At),
        }));
        return view;
    }
}
