using Dapr.Workflow;
using Microsoft.Extensions.Options;
using Storebridge.Contracts;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Erp;

namespace Storebridge.Orders.Workflows.Activities;

/// <summary>
/// Creates the ERP sales order with the order ref as its external reference; the ERP adapter looks the reference up
/// first, so a retry after a timeout finds the order it already made. Validation errors (the ERP's 417: credit
/// limit, unknown item) come back as a result for a person; outages throw and are retried.
/// </summary>
public sealed class CreateErpSalesOrderActivity(IErpSystem erp, IOptionsMonitor<OrdersOptions> options, TimeProvider time)
    : WorkflowActivity<ErpOrderInput, ErpOrderResult>
{
    public override async Task<ErpOrderResult> RunAsync(WorkflowActivityContext context, ErpOrderInput input)
    {
        var order = EventJson.Parse<Order>(input.OrderJson);
        var settings = options.CurrentValue.For(order.StoreId);
        var prices = order.Lines.GroupBy(l => l.Sku).ToDictionary(g => g.Key, g => g.First().Quantity > 0
            ? g.First().Total.ToDecimal() / g.First().Quantity
            : 0m);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var request = new SalesOrderRequest(
            ExternalRef: order.OrderRef,
            CustomerId: input.ErpCustomerId,
            CurrencyCode: order.CurrencyCode,
            DeliveryDate: today.AddDays(settings.DeliveryLeadDays),
            Lines: input.Lines.Select(l => new SalesOrderLineRequest(l.Sku, l.Quantity, l.WarehouseId, Math.Round(prices.GetValueOrDefault(l.Sku), 4))).ToList(),
            Taxes: order.TaxLines.Select(t => new TaxCharge(string.IsNullOrEmpty(t.RateCode) ? t.Label : t.RateCode, t.TaxTotal.ToDecimal() + t.ShippingTaxTotal.ToDecimal())).ToList(),
            OrderDate: today);

        try
        {
            var result = await erp.CreateSalesOrderAsync(request);
            return new ErpOrderResult(true, result.Document.Id, null);
        }
        catch (ErpException ex) when (ex.Kind is ErpErrorKind.Validation or ErpErrorKind.NotFound or ErpErrorKind.Conflict)
        {
            return new ErpOrderResult(false, null, ex.Messages.Count > 0 ? string.Join(" ", ex.Messages) : ex.Message);
        }
    }
}
