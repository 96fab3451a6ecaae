using Dapr.Workflow;
using Microsoft.Extensions.Options;
using Storebridge.Contracts;
using Storebridge.Contracts.Common.V1;
using Storebridge.Contracts.Orders.V1;
using Storebridge.Erp;

namespace Storebridge.Orders.Workflows.Activities;

/// <summary>
/// Finds the ERP account an order is booked to: a business customer's own account (the ERP id the store carries,
/// else the ERP customer with the order's e-mail address), or the store's account for consumer orders.
/// </summary>
public sealed class ResolveCustomerActivity(IErpSystem erp, IOptionsMonitor<OrdersOptions> options) : WorkflowActivity<CustomerInput, CustomerResolution>
{
    public const string ErpCustomerMetaKey = "erp_customer_id";

    public override async Task<CustomerResolution> RunAsync(WorkflowActivityContext context, CustomerInput input)
    {
        var order = EventJson.Parse<Order>(input.OrderJson);
        if (order.Customer?.Kind != CustomerKind.Business)
        {
            return new CustomerResolution(options.CurrentValue.For(order.StoreId).DefaultErpCustomer, null);
        }

        if (!string.IsNullOrEmpty(order.Customer.ErpCustomerId))
        {
            return new CustomerResolution(order.Customer.ErpCustomerId, null);
        }

        if (order.Metadata.TryGetValue(ErpCustomerMetaKey, out var linked) && linked.Length > 0)
        {
            return new CustomerResolution(linked, null);
        }

        var email = order.Customer.Email is { Length: > 0 } own ? own : order.BillingAddress?.Email ?? "";
        if (email.Length == 0)
        {
            return new CustomerResolution(null, "The business order has no e-mail address to find its ERP account by.");
        }

        return await erp.FindCustomerIdByEmailAsync(email) is { } found
            ? new CustomerResolution(found, null)
            : new CustomerResolution(null, $"No ERP customer has the e-mail address {email}; link the account (meta {ErpCustomerMetaKey}) and replay.");
    }
}
