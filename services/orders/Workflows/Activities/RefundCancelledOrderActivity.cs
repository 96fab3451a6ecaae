using System.Globalization;
using System.Net;
using Dapr.Workflow;
using Microsoft.Extensions.Options;
using Storebridge.Contracts.Orders.V1;
using Storebridge.ServiceDefaults.Exceptions;
using Storebridge.WooCommerce;
using Storebridge.WooCommerce.Models;

namespace Storebridge.Orders.Workflows.Activities;

/// <summary>
/// Settles the money of a paid order that was cancelled: whatever the store has not refunded yet is refunded through
/// the store's payment gateway (WooCommerce <c>orders/{id}/refunds</c> with <c>api_refund</c>), or — when the store
/// is set to refund by hand, or the gateway refuses — kept in the exception queue as a refund due, so no refund is
/// lost. The amount is always read from the store first, so a retry after a timeout never refunds twice (and
/// WooCommerce itself refuses a refund above what is left).
/// </summary>
public sealed class RefundCancelledOrderActivity(IWooCommerceClientFactory stores, IOptionsMonitor<OrdersOptions> options, ExceptionQueue exceptions)
    : WorkflowActivity<RefundInput, RefundResult>
{
    public override async Task<RefundResult> RunAsync(WorkflowActivityContext context, RefundInput input)
    {
        var client = stores.GetClient(input.StoreId);
        var orderId = long.Parse(input.StoreOrderId, CultureInfo.InvariantCulture);
        var order = await client.GetOrderAsync(orderId);
        var total = Amount(order.Total);
        var refunded = (order.Refunds ?? []).Sum(r => Math.Abs(Amount(r.Total)));
        var remaining = total - refunded;
        if (remaining <= 0)
        {
            return new RefundResult(CancellationRefund.AlreadyRefunded, Format(refunded), order.Currency ?? "");
        }

        if (options.CurrentValue.For(input.StoreId).RefundCancelledOrders)
        {
            try
            {
                await client.CreateRefundAsync(orderId, new WooRefund
                {
                    Amount = Format(remaining),
                    Reason = $"Storebridge: order cancelled ({input.Reason})",
                    ApiRefund = true,
                });
                return new RefundResult(CancellationRefund.Refunded, Format(remaining), order.Currency ?? "");
            }
            catch (WooApiException ex) when (ex.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity)
            {
                // The gateway cannot refund this payment (or the store refuses the amount): a person must.
                await KeepDueAsync(input, remaining, order.Currency, $"The store refused the refund: {ex.Message}");
                return new RefundResult(CancellationRefund.Due, Format(remaining), order.Currency ?? "");
            }
        }

        await KeepDueAsync(input, remaining, order.Currency, "The store is set to refund cancelled orders by hand.");
        return new RefundResult(CancellationRefund.Due, Format(remaining), order.Currency ?? "");
    }

    private Task KeepDueAsync(RefundInput input, decimal amount, string? currency, string why) =>
        exceptions.AddAsync(new ExceptionRecord
        {
            Id = $"refund-due-{input.OrderRef}",
            Kind = "refund-due",
            Reason = $"Order {input.OrderRef} was cancelled after payment; {Format(amount)} {currency} is still to be refunded. {why}",
            StoreId = input.StoreId,
            Reference = input.OrderRef,
            Details = new Dictionary<string, string> { ["amount"] = Format(amount), ["currency"] = currency ?? "", ["cancelReason"] = input.Reason },
        });

    private static decimal Amount(string? value) =>
        decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) ? amount : 0m;

    private static string Format(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);
}
